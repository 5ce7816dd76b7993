module github.com/biogate/biogate

go 1.26

require (
	go.uber.org/goleak v1.3.0 // indirect
	gocv.io/x/gocv v0.31.0 // indirect
)
