// SPDX-License-Identifier: Apache-2.0

module github.com/mynasim/mynasim/clients/go

go 1.19
