package fingerprint

// The SourceAFIS adapter: everything that touches the library is here, so
// changing the matcher is a change of this file.
//
// SourceAFIS (Robert Važan, Apache-2.0) is used through its Go port,
// github.com/jtejido/go-sourceafis v0.0.2-beta (module path
// github.com/jtejido/sourceafis, hence the replace directive in go.mod). Two
// of the port's entry points are bypassed: NewFromGray stores raw grey
// values where the extractor expects darkness in [0, 1], and the search
// template sorts its minutiae with a comparison that is not an ordering,
// which makes the edge table, and so the score, depend on the input order.
// This file feeds the extractor itself and builds the search template with
// a total order.

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/jtejido/sourceafis/config"
	"github.com/jtejido/sourceafis/extractor"
	"github.com/jtejido/sourceafis/features"
	"github.com/jtejido/sourceafis/matcher"
	"github.com/jtejido/sourceafis/primitives"
	"github.com/jtejido/sourceafis/templates"

	"github.com/biogate/biogate/devices"
)

// configure loads the library's defaults once. The library keeps them in a
// package variable; its default spreads extraction over every CPU, while
// the gateway runs sessions in parallel and wants one image on one core.
var configure = sync.OnceFunc(func() {
	config.LoadDefaultConfig()
	config.Config.Workers = 1
})

// quiet is the library's transparency logger, told to log nothing.
type quiet struct{}

func (quiet) Log(string, any) error                             { return nil }
func (quiet) LogSkeleton(string, *features.Skeleton) error      { return nil }
func (quiet) LogEdgeHash(map[int][]*features.IndexedEdge) error { return nil }
func (quiet) LogRootPairs(int, []*matcher.MinutiaPair) error    { return nil }
func (quiet) LogPairing(*matcher.PairingGraph) error            { return nil }
func (quiet) LogBestPairing(*matcher.PairingGraph) error        { return nil }
func (quiet) LogScore(*matcher.ScoringData) error               { return nil }
func (quiet) LogBestScore(*matcher.ScoringData) error           { return nil }
func (quiet) LogBestMatch(int) error                            { return nil }

// searchTemplate is the library's form of a Template: the search template
// and, built on the first comparison where the template is the probe, its
// table of edge hashes.
type searchTemplate struct {
	*templates.SearchTemplate
	once  sync.Once
	probe *matcher.Probe
	err   error
}

// asProbe returns the template's probe form, building it once.
func (s *searchTemplate) asProbe() (*matcher.Probe, error) {
	s.once.Do(func() {
		hash, err := matcher.NewEdgeHashBuilder(quiet{}).Build(s.SearchTemplate)
		if err != nil {
			s.err = fmt.Errorf("%w: %v", ErrTemplate, err)
			return
		}
		s.probe = matcher.NewProbe(s.SearchTemplate, hash)
	})
	return s.probe, s.err
}

// extract runs the library's extractor on img at ppi. The library is
// third-party code on biometric input: a panic in it becomes an error for
// this image, not the end of the daemon.
func extract(img *devices.FingerprintImage, ppi int) (t *Template, err error) {
	configure()
	raw := primitives.NewMatrix(img.Width, img.Height)
	for y := range img.Height {
		row := img.Pix[y*img.Width : (y+1)*img.Width]
		for x, v := range row {
			raw.Set(x, y, 1-float64(v)/255)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("%w: the extractor failed: %v", ErrExtract, r)
		}
	}()
	ft, err := extractor.New(quiet{}).Extract(raw, float64(ppi))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrExtract, err)
	}
	ms := make([]Minutia, 0, ft.Minutiae.Len())
	for e := ft.Minutiae.Front(); e != nil; e = e.Next() {
		m := e.Value.(*features.FeatureMinutia)
		kind := Ending
		if m.T == features.BIFURCATION {
			kind = Bifurcation
		}
		ms = append(ms, Minutia{X: m.Position.X, Y: m.Position.Y, Angle: fromLibraryAngle(m.Direction), Kind: kind})
	}
	w, h := min(ft.Size.X, maxTemplateSide), min(ft.Size.Y, maxTemplateSide)
	return NewTemplate(w, h, ms)
}

// fromLibraryAngle turns SourceAFIS's direction (radians, clockwise on the
// screen because the image's y axis points down) into ISO/IEC 19794-2's
// counter-clockwise angle; toLibraryAngle is its inverse.
func fromLibraryAngle(d float64) float64 { return normaliseAngle(2*math.Pi - d) }
func toLibraryAngle(a float64) float64   { return normaliseAngle(2*math.Pi - a) }

// newSearchTemplate builds the library's search template (minutiae in a
// total order, then the table of neighbouring edges) for t.
func newSearchTemplate(t *Template) *searchTemplate {
	configure()
	ms := make([]*features.SearchMinutia, len(t.Minutiae))
	for i, m := range t.Minutiae {
		typ := features.ENDING
		if m.Kind == Bifurcation {
			typ = features.BIFURCATION
		}
		ms[i] = &features.SearchMinutia{X: m.X, Y: m.Y, Direction: toLibraryAngle(m.Angle), T: typ}
	}
	sort.Slice(ms, func(i, j int) bool {
		a, b := ms[i], ms[j]
		if a.X != b.X {
			return a.X < b.X
		}
		if a.Y != b.Y {
			return a.Y < b.Y
		}
		if a.Direction != b.Direction {
			return a.Direction < b.Direction
		}
		return a.T < b.T
	})
	st := &templates.SearchTemplate{Width: t.Width, Height: t.Height, Minutiae: ms}
	st.Edges = features.NewNeighborhoodBuilder(quiet{}).Build(ms)
	return &searchTemplate{SearchTemplate: st}
}

// compare scores candidate against probe with the library's matcher: 0 for
// nothing in common, growing with the evidence; the library calibrates its
// scale so that FMR is 1/100 at 18.22, 1/1000 at 22.39 and 1/10000 at 27.24.
func compare(probe, candidate *Template) (score float64, err error) {
	configure()
	if len(probe.Minutiae) == 0 || len(candidate.Minutiae) == 0 {
		return 0, nil
	}
	defer func() {
		if r := recover(); r != nil {
			score, err = 0, fmt.Errorf("%w: the matcher failed: %v", ErrTemplate, r)
		}
	}()
	p, err := probe.search.asProbe()
	if err != nil {
		return 0, err
	}
	return matcher.NewMatcher(quiet{}).Match(context.Background(), p, candidate.search.SearchTemplate), nil
}
