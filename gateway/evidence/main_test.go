package evidence

import (
	"testing"

	"github.com/biogate/biogate/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
