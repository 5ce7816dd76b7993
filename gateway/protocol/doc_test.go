package protocol

import (
	"bufio"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/biogate/biogate/outcome"
)

const docPath = "../../docs/protocol.md"

func readDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("the protocol document: %v", err)
	}
	return string(b)
}

// docSection returns the lines of the "## title" section.
func docSection(t *testing.T, doc, title string) []string {
	t.Helper()
	var lines []string
	in := false
	sc := bufio.NewScanner(strings.NewReader(doc))
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "## ") {
			in = l == "## "+title
			continue
		}
		if in {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		t.Fatalf("%s has no section %q", docPath, title)
	}
	return lines
}

// Every message type has its own "### `type`" heading under Messages.
func TestDocDescribesEveryType(t *testing.T) {
	headings := map[string]bool{}
	for _, l := range docSection(t, readDoc(t), "Messages") {
		if m := regexp.MustCompile("^### `([a-z_]+)`$").FindStringSubmatch(l); m != nil {
			headings[m[1]] = true
		}
	}
	for _, ty := range constsOfType(t, "Type") {
		if !headings[ty] {
			t.Errorf("docs/protocol.md has no \"### `%s`\" heading under Messages", ty)
		}
		delete(headings, ty)
	}
	for h := range headings {
		t.Errorf("docs/protocol.md describes message %q, which the package does not have", h)
	}
}

// The error code table lists every code once, and says what the package's
// table says about fatality, HTTP status and close status.
func TestDocErrorTable(t *testing.T) {
	row := regexp.MustCompile("^\\| `([a-z_]+)` \\| (.+) \\| (yes|no) \\| (\\d{3}|-) \\| (\\d{4}|-) \\|$")
	rows := map[ErrorCode]bool{}
	for _, l := range docSection(t, readDoc(t), "Error codes") {
		if !strings.HasPrefix(l, "| `") {
			continue
		}
		m := row.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("malformed error table row: %s", l)
			continue
		}
		code := ErrorCode(m[1])
		if rows[code] {
			t.Errorf("%s listed twice", code)
		}
		rows[code] = true
		info, ok := code.Info()
		if !ok {
			t.Errorf("the document lists %s, which the package does not have", code)
			continue
		}
		if fatal := m[3] == "yes"; fatal != info.Fatal {
			t.Errorf("%s: document says fatal %s, table %v", code, m[3], info.Fatal)
		}
		if got := num(m[4]); got != info.HTTPStatus {
			t.Errorf("%s: document says HTTP %s, table %d", code, m[4], info.HTTPStatus)
		}
		if got := num(m[5]); got != info.CloseStatus {
			t.Errorf("%s: document says close %s, table %d", code, m[5], info.CloseStatus)
		}
	}
	for _, c := range constsOfType(t, "ErrorCode") {
		if !rows[ErrorCode(c)] {
			t.Errorf("docs/protocol.md's error table has no row for `%s`", c)
		}
	}
}

func num(s string) int {
	n, _ := strconv.Atoi(s) // "-" gives 0
	return n
}

// Every value a client must know appears in backticks somewhere in the
// document.
func TestDocMentionsEveryValue(t *testing.T) {
	doc := readDoc(t)
	for _, typ := range []string{"SessionState", "DoneReason", "CameraMode"} {
		for _, v := range constsOfType(t, typ) {
			if !strings.Contains(doc, "`"+v+"`") {
				t.Errorf("docs/protocol.md never mentions %s `%s`", typ, v)
			}
		}
	}
	// The outcome words the protocol carries: every one, so a word added
	// to package outcome fails here until the protocol documents it.
	words := map[string][]string{
		"outcome.Decision":      strs(outcome.Decisions()),
		"outcome.CommandStatus": strs(outcome.CommandStatuses()),
		"outcome.Command":       strs(outcome.Commands()),
		"outcome.CommandReason": strs(outcome.CommandReasons()),
		"outcome.Reason":        strs(outcome.Reasons()),
		"outcome.Departure":     strs(outcome.Departures()),
	}
	for _, l := range outcome.Livenesses() {
		if l != outcome.LivenessRefused { // never a passive decision
			words["passive decision"] = append(words["passive decision"], string(l))
		}
	}
	for typ, vs := range words {
		for _, v := range vs {
			if !strings.Contains(doc, "`"+v+"`") {
				t.Errorf("docs/protocol.md never mentions %s `%s`", typ, v)
			}
		}
	}
	for _, v := range []string{
		HintNoFace, HintMultipleFaces, HintTooDark, HintTooBright, HintTooFar, HintTooClose,
		HintNotCentered, HintBlurry, HintTurnToCamera, AbortShutdown, ModalityFace, // the outcome words: above
	} {
		if !strings.Contains(doc, "`"+v+"`") {
			t.Errorf("docs/protocol.md never mentions `%s`", v)
		}
	}
}

// The examples in the document are messages this package decodes.
func TestDocExamplesDecode(t *testing.T) {
	n := 0
	for _, l := range strings.Split(readDoc(t), "\n") {
		l = strings.TrimSpace(l)
		dir := ""
		switch {
		case strings.HasPrefix(l, "C: {"):
			dir, l = "C", l[3:]
		case strings.HasPrefix(l, "G: {"):
			dir, l = "G", l[3:]
		default:
			continue
		}
		if strings.Contains(l, "{...}") {
			continue // an abbreviated example
		}
		n++
		var err error
		if dir == "C" {
			_, err = DecodeClient([]byte(l))
		} else {
			_, err = DecodeServer([]byte(l))
		}
		if err != nil {
			t.Errorf("example %s: %v", l, err)
		}
	}
	if n < 20 {
		t.Errorf("only %d example messages found", n)
	}
}

// The examples under Messages (indented, possibly spread over lines) are
// messages this package decodes, of the type of their section.
func TestDocMessageExamplesDecode(t *testing.T) {
	heading := regexp.MustCompile("^### `([a-z_]+)`$")
	section, acc := "", ""
	seen := map[string]int{}
	for _, l := range docSection(t, readDoc(t), "Messages") {
		if m := heading.FindStringSubmatch(l); m != nil {
			section, acc = m[1], ""
			continue
		}
		if !strings.HasPrefix(l, "    ") {
			acc = ""
			continue
		}
		acc += strings.TrimSpace(l)
		if !json.Valid([]byte(acc)) {
			continue
		}
		var m Message
		var err error
		if slices.Contains(ClientTypes(), Type(section)) {
			m, err = DecodeClient([]byte(acc))
		} else {
			m, err = DecodeServer([]byte(acc))
		}
		if err != nil {
			t.Errorf("### `%s` example %s: %v", section, acc, err)
		} else if string(m.MessageType()) != section {
			t.Errorf("### `%s` example is a %s", section, m.MessageType())
		}
		seen[section]++
		acc = ""
	}
	for _, ty := range constsOfType(t, "Type") {
		if seen[ty] == 0 {
			t.Errorf("### `%s` has no example that decodes", ty)
		}
	}
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
