// Package deploy holds what an operator copies: sample configs, dashboards,
// rules and price files. Its Go side only embeds the files gamedata uses as
// defaults, so that an installed binary has them too.
package deploy

import "embed"

// DefaultPrices is the price file gamedata plan uses unless --prices names
// another.
const DefaultPrices = "prices/aws-us-east-1-2026-12.yaml"

// Files holds the embedded files, by their path under deploy/.
//
//go:embed prices/*.yaml
var Files embed.FS
