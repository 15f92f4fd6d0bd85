// SPDX-License-Identifier: Apache-2.0

package mynasim

import (
	"fmt"
	"strconv"
	"strings"
)

// SupportedVersions is the range of simulator versions this client speaks: the major.minor
// of the simulator it was written and tested against (any patch release of it).
const SupportedVersions = ">= 0.1.0, < 0.2.0"

var supportedMajor, supportedMinor = 0, 1

// ParseVersion reads "MAJOR.MINOR[.PATCH][-suffix]" (a leading "v" or "mynasim " is allowed).
func ParseVersion(v string) (major, minor, patch int, err error) {
	s := strings.TrimSpace(v)
	s = strings.TrimPrefix(s, "mynasim ")
	s = strings.TrimPrefix(s, "v")
	if i := strings.IndexAny(s, "-+ "); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, 0, 0, fmt.Errorf("mynasim: not a version: %q", v)
	}
	nums := make([]int, 3)
	for i, p := range parts {
		n, convErr := strconv.Atoi(p)
		if convErr != nil || n < 0 {
			return 0, 0, 0, fmt.Errorf("mynasim: not a version: %q", v)
		}
		nums[i] = n
	}
	return nums[0], nums[1], nums[2], nil
}

// IsSupportedVersion reports whether v lies in SupportedVersions.
func IsSupportedVersion(v string) bool {
	major, minor, _, err := ParseVersion(v)
	return err == nil && major == supportedMajor && minor == supportedMinor
}

func checkVersion(v string, skip bool) error {
	if skip {
		return nil
	}
	if !IsSupportedVersion(v) {
		return &VersionError{Version: v, Supported: SupportedVersions}
	}
	return nil
}
