// SPDX-License-Identifier: Apache-2.0

//go:build !linux

package mynasim

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
