package models

/*
#include <stdlib.h>
*/
import "C"

import "unsafe"

// The Go side of the shims' error plumbing (the C++ side is shim_errors.h):
// a constructor entry point hands back a malloc'd message through a char**,
// the others keep their last error in the native object, and both read as
// unknownFailure when the shim could not say more (out of memory while
// formatting the message).

// unknownFailure is the message when a shim failed without one.
const unknownFailure = "unknown failure"

// takeMessage returns the message a shim's constructor left in cerr and
// frees it; unknownFailure when cerr is NULL.
func takeMessage(cerr *C.char) string {
	if cerr == nil {
		return unknownFailure
	}
	defer C.free(unsafe.Pointer(cerr))
	return C.GoString(cerr)
}

// lastMessage copies a shim object's last error (owned by the object, so
// not freed); unknownFailure when it is empty.
func lastMessage(msg *C.char) string {
	if s := C.GoString(msg); s != "" {
		return s
	}
	return unknownFailure
}
