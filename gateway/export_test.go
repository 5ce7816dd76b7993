package gateway

// RelayCamerasForTest are the relay cameras of the tests' servers: the
// daemon's own (internal/relaycam over devices/relay), set by
// relaycam_test.go, an external test file, since internal/relaycam
// imports this package.
var RelayCamerasForTest RelayCameras
