// SPDX-License-Identifier: Apache-2.0

package mynasim

import "syscall"

// sysProcAttr asks Linux to SIGTERM the simulator if the process that started it dies
// without calling Close (a test binary killed by its timeout, for instance).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
