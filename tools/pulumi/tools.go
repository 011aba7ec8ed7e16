//go:build tools

// Package tools pins the Pulumi CLI that `make pulumi-cli` builds into
// .tools/pulumi/bin (see ../../Makefile and README.md, "Pulumi").
//
// The CLI is github.com/pulumi/pulumi/pkg/v3's cmd/pulumi at the version in
// go.mod. Pulumi's Python language host
// (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) is not
// served by the module proxy this project can reach (every version asked for
// was refused: see README.md), so ./cmd/pulumi-language-python is ours.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
