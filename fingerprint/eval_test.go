package fingerprint

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/biogate/biogate/internal/testenv"
)

// fvcPPI is each shared set's resolution per the FVC2002 documentation.
var fvcPPI = map[string]int{"DB1_B": 500, "DB2_B": 569, "DB3_B": 500, "DB4_B": 500}

func TestEvaluateFVC(t *testing.T) {
	for _, db := range []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"} {
		ev, err := Evaluate(context.Background(), filepath.Join(testenv.Shared(t), "data", "fingerprints", "fvc2002", db), fvcPPI[db])
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: EER %.2f%% [%.2f, %.2f] FMR100 %.2f%% ZeroFMR %.2f%% FNMR@%.2f %.2f%% FMR@thr %.2f%% extract %v compare %v fte %d",
			db, 100*ev.EER, 100*ev.EERLow, 100*ev.EERHigh, 100*ev.FMR100, 100*ev.ZeroFMR, ev.Threshold, 100*ev.FNMRAtThreshold, 100*ev.FMRAtThreshold, ev.ExtractTime, ev.CompareTime, ev.FailedToExtract)
	}
}
