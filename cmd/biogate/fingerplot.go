package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/biogate/biogate/fingerprint"
)

// writePlot draws what `biogate finger eval --plot` shows, as SVG: on the
// left each genuine comparison's score against its quality (the lower of
// its two images'), with the decision threshold; on the right each
// database's error-versus-reject curve (ISO/IEC 29794-1): the FNMR at the
// threshold after rejecting the lowest-quality fraction of comparisons.
// Plain SVG, no library: a reviewer opens it in a browser.
func writePlot(w io.Writer, evs []*fingerprint.Evaluation) error {
	const (
		W, H       = 1040, 420
		left, top  = 60, 40
		pw, ph     = 380, 320
		gap        = 100
		scoreLimit = 200.0 // scores above are drawn at the top edge
	)
	colours := []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", W, H)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", W, H)
	axes := func(x0 int, title, xlabel, ylabel string, xmax, ymax float64, yfmt string) {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="14">%s</text>`+"\n", x0, top-15, title)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>`+"\n", x0, top, pw, ph)
		for i := 0; i <= 5; i++ {
			x := float64(x0) + float64(i)*pw/5
			y := float64(top+ph) - float64(i)*ph/5
			fmt.Fprintf(&b, `<text x="%.0f" y="%d" text-anchor="middle">%g</text>`+"\n", x, top+ph+15, xmax*float64(i)/5)
			fmt.Fprintf(&b, `<text x="%d" y="%.0f" text-anchor="end">%s</text>`+"\n", x0-5, y+4, fmt.Sprintf(yfmt, ymax*float64(i)/5))
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", x0+pw/2, top+ph+32, xlabel)
		fmt.Fprintf(&b, `<text transform="translate(%d,%d) rotate(-90)" text-anchor="middle">%s</text>`+"\n", x0-42, top+ph/2, ylabel)
	}
	// Left: genuine score against quality.
	axes(left, "Genuine comparisons: score against quality", "quality (lower of the pair)", "score", 100, scoreLimit, "%.0f")
	ty := float64(top+ph) - fingerprint.DefaultThreshold/scoreLimit*ph
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#999" stroke-dasharray="4 3"/>`+"\n", left, ty, left+pw, ty)
	fmt.Fprintf(&b, `<text x="%d" y="%.1f" fill="#666">threshold %.2f</text>`+"\n", left+pw-110, ty-4, fingerprint.DefaultThreshold)
	for i, ev := range evs {
		c := colours[i%len(colours)]
		for _, cmp := range ev.Comparisons {
			if !cmp.Genuine {
				continue
			}
			q := min(ev.Qualities[cmp.A].Score, ev.Qualities[cmp.B].Score)
			x := float64(left) + float64(q)/100*pw
			y := float64(top+ph) - math.Min(cmp.Score, scoreLimit)/scoreLimit*ph
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2" fill="%s" fill-opacity="0.5"/>`+"\n", x, y, c)
		}
	}
	// Right: the error-versus-reject curves.
	x0 := left + pw + gap
	var fractions []float64
	for f := 0.0; f <= 0.5001; f += 0.01 {
		fractions = append(fractions, f)
	}
	ymax := 0.05
	curves := make([][]fingerprint.ERCPoint, len(evs))
	for i, ev := range evs {
		curves[i] = fingerprint.ErrorVersusReject(ev, fingerprint.DefaultThreshold, fractions)
		for _, p := range curves[i] {
			ymax = math.Max(ymax, p.FNMR)
		}
	}
	ymax = math.Ceil(ymax*20) / 20
	axes(x0, "Error versus reject (ISO/IEC 29794-1)", "fraction rejected, lowest quality first", "FNMR at the threshold", 0.5, ymax, "%.2f")
	for i, curve := range curves {
		c := colours[i%len(colours)]
		var pts []string
		for _, p := range curve {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", float64(x0)+p.Rejected/0.5*pw, float64(top+ph)-p.FNMR/ymax*ph))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), c)
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">%s</text>`+"\n", x0+pw+8, top+14+16*i, c, xmlEscape(filepath.Base(evs[i].Dir)))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// xmlEscape escapes text for SVG.
func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
