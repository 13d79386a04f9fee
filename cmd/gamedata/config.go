package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// Every flag can also be set by an environment variable and by a key of the
// YAML config file. The flag wins over the variable, the variable over the
// file, the file over the default.
const (
	// envPrefix starts every variable: --data-dir is GAMEDATA_DATA_DIR.
	envPrefix = "GAMEDATA_"
	// configFlag names the config file. It is read from the command line or
	// the environment only: a file cannot name another file.
	configFlag = "config"
)

// envName is the environment variable that sets flag name.
func envName(name string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// cliOnlyAnnotation marks a flag that says what one run acts on (apikey
// create --name), not a setting: only the command line gives it.
const cliOnlyAnnotation = "gamedata_cli_only"

// cliOnly marks flag name of fs as given on the command line only.
func cliOnly(fs *pflag.FlagSet, name string) {
	if err := fs.SetAnnotation(name, cliOnlyAnnotation, []string{"true"}); err != nil {
		panic(err) // a flag that does not exist: a programming error
	}
}

// fromEnv reports whether an environment variable may set f.
func fromEnv(f *pflag.Flag) bool {
	return f.Name != "help" && f.Annotations[cliOnlyAnnotation] == nil
}

// bindable reports whether a flag takes its value from the environment and
// the config file.
func bindable(f *pflag.Flag) bool {
	return fromEnv(f) && f.Name != configFlag
}

// bindConfig gives every flag of cmd that was not on the command line its
// value from the environment (lookupEnv) or else from the config file. A bad
// value is reported with the flag it was meant for and where it came from.
func bindConfig(cmd *cobra.Command, lookupEnv func(string) (string, bool)) error {
	fs := cmd.Flags()
	path, err := fs.GetString(configFlag)
	if err != nil {
		return fmt.Errorf("read --%s: %w", configFlag, err)
	}
	if !fs.Changed(configFlag) {
		path, _ = lookupEnv(envName(configFlag))
	}
	var file map[string]string
	if path != "" {
		if file, err = readConfigFile(path, configKeys(cmd.Root())); err != nil {
			return err
		}
	}
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || !bindable(f) {
			return
		}
		if v, ok := lookupEnv(envName(f.Name)); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("environment variable %s: invalid value %q for --%s: %w", envName(f.Name), v, f.Name, err))
			}
			return
		}
		if v, ok := file[f.Name]; ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("config file %s: invalid value %q for %s (--%s): %w", path, v, f.Name, f.Name, err))
			}
		}
	})
	return errors.Join(errs...)
}

// configKeys lists the keys a config file may hold: the name of every
// bindable flag of every command. One file serves all commands, so a key
// another command uses is known, and simply not applied here.
func configKeys(root *cobra.Command) map[string]bool {
	keys := map[string]bool{}
	visitFlags(root, func(f *pflag.Flag) {
		if bindable(f) {
			keys[f.Name] = true
		}
	})
	return keys
}

// visitFlags calls fn once for every flag of root and the commands below it.
// A persistent flag is shared by the commands below the one that declares
// it, so it is visited once.
func visitFlags(root *cobra.Command, fn func(*pflag.Flag)) {
	seen := map[*pflag.Flag]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if !seen[f] {
				seen[f] = true
				fn(f)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// readConfigFile reads a flat YAML mapping of flag names to values. A list
// becomes a comma-separated value, as on the command line; a null value
// leaves the flag alone. An unknown key is an error, so that a typo does not
// silently leave a setting at its default.
func readConfigFile(path string, known map[string]bool) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil // empty, or only comments: sets nothing
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("config file %s: want a mapping of setting names to values", path)
	}
	values := map[string]string{}
	seen := map[string]bool{}
	var errs []error
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		key := k.Value
		switch {
		case !known[key]:
			errs = append(errs, fmt.Errorf("config file %s, line %d: unknown key %q (keys are flag names without the dashes: %s)",
				path, k.Line, key, strings.Join(sortedKeys(known), ", ")))
		case seen[key]:
			errs = append(errs, fmt.Errorf("config file %s, line %d: key %q given twice", path, k.Line, key))
		default:
			seen[key] = true
			s, set, err := scalarValue(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("config file %s, line %d: %s: %w", path, v.Line, key, err))
			} else if set {
				values[key] = s
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return values, nil
}

// scalarValue renders a YAML value as a flag would be given it; set is false
// for null.
func scalarValue(n *yaml.Node) (value string, set bool, err error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "", false, nil
		}
		return n.Value, true, nil
	case yaml.SequenceNode:
		items := make([]string, len(n.Content))
		for i, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				return "", false, errors.New("a list may hold only plain values")
			}
			items[i] = item.Value
		}
		return strings.Join(items, ","), true, nil
	default:
		return "", false, errors.New("want a plain value or a list")
	}
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// enumValue is a string flag that accepts one of a fixed set of values, so
// that a wrong one is refused with the flag's name whatever its source.
type enumValue struct {
	target  *string
	allowed []string
}

func newEnum(target *string, def string, allowed ...string) *enumValue {
	*target = def
	return &enumValue{target: target, allowed: allowed}
}

func (e *enumValue) String() string { return *e.target }

func (e *enumValue) Set(s string) error {
	if !slices.Contains(e.allowed, s) {
		return fmt.Errorf("must be one of %s", strings.Join(e.allowed, ", "))
	}
	*e.target = s
	return nil
}

// Type shows the choices in --help.
func (e *enumValue) Type() string { return strings.Join(e.allowed, "|") }

// documentEnv appends to every flag's help the variable that also sets it.
func documentEnv(root *cobra.Command) {
	visitFlags(root, func(f *pflag.Flag) {
		if fromEnv(f) {
			f.Usage += " [$" + envName(f.Name) + "]"
		}
	})
}
