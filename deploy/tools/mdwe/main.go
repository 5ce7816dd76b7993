// Command mdwe runs a command with the kernel's memory-deny-write-execute
// (prctl PR_SET_MDWE, Linux 6.3 and later), which is what the unit's
// MemoryDenyWriteExecute=yes asks of systemd: no mapping may be writable
// and executable, nor become executable. hack/package-test.sh runs
// biogated and biogate capture under it to check that OpenCV tolerates
// the unit's setting without a running systemd.
//
//	mdwe COMMAND [ARG...]
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

const (
	prSetMDWE            = 65
	prMDWERefuseExecGain = 1
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: mdwe COMMAND [ARG...]")
		os.Exit(2)
	}
	if _, _, errno := syscall.Syscall6(syscall.SYS_PRCTL, prSetMDWE, prMDWERefuseExecGain, 0, 0, 0, 0); errno != 0 {
		fmt.Fprintf(os.Stderr, "mdwe: prctl(PR_SET_MDWE): %v (a kernel before 6.3?)\n", errno)
		os.Exit(125)
	}
	path, err := exec.LookPath(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "mdwe: %v\n", err)
		os.Exit(127)
	}
	err = syscall.Exec(path, os.Args[1:], os.Environ())
	fmt.Fprintf(os.Stderr, "mdwe: exec %s: %v\n", path, err)
	os.Exit(126)
}
