package component

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Actions are the AWSTOE action modules Validate accepts.
var Actions = []string{
	"ExecuteBash", "ExecuteBinary", "ExecuteDocument", "ExecutePowerShell", "Reboot",
	"SetRegistry", "S3Download", "S3Upload", "WebDownload", "CopyFile", "CopyFolder",
	"CreateFile", "CreateFolder", "CreateSymlink", "DeleteFile", "DeleteFolder", "ListFiles",
	"MoveFile", "MoveFolder", "ReadFile", "SetFileEncoding", "SetFileOwner", "SetFolderOwner",
	"SetFilePermissions", "SetFolderPermissions", "UpdateOS", "InstallMSI", "UninstallMSI",
	"AssertS3Object", "Assert",
}

var stepNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// Validate checks an AWSTOE document: at most MaxDataSize characters, YAML, schemaVersion
// 1.0, a name, and phases among build/validate/test whose steps each have a name, a known
// action and, for ExecutePowerShell, commands or a file.
func Validate(data string) error {
	if n := utf8.RuneCountInString(data); n > MaxDataSize {
		return fmt.Errorf("the document is %d characters, more than the %d Image Builder accepts", n, MaxDataSize)
	}
	var doc struct {
		Name          string `yaml:"name"`
		SchemaVersion any    `yaml:"schemaVersion"`
		Phases        []struct {
			Name  string `yaml:"name"`
			Steps []struct {
				Name   string         `yaml:"name"`
				Action string         `yaml:"action"`
				Inputs map[string]any `yaml:"inputs"`
			} `yaml:"steps"`
		} `yaml:"phases"`
	}
	if err := yaml.Unmarshal([]byte(data), &doc); err != nil {
		return fmt.Errorf("parsing the document: %w", err)
	}
	if doc.Name == "" {
		return fmt.Errorf("the document has no name")
	}
	if v := fmt.Sprint(doc.SchemaVersion); v != "1" && v != "1.0" {
		return fmt.Errorf("schemaVersion is %q, want 1.0", v)
	}
	if len(doc.Phases) == 0 {
		return fmt.Errorf("the document has no phases")
	}
	seen := map[string]bool{}
	for _, p := range doc.Phases {
		switch p.Name {
		case "build", "validate", "test":
		default:
			return fmt.Errorf("phase %q: want build, validate or test", p.Name)
		}
		if seen[p.Name] {
			return fmt.Errorf("phase %q is given twice", p.Name)
		}
		seen[p.Name] = true
		if len(p.Steps) == 0 {
			return fmt.Errorf("phase %s has no steps", p.Name)
		}
		steps := map[string]bool{}
		for _, s := range p.Steps {
			if !stepNameRE.MatchString(s.Name) {
				return fmt.Errorf("phase %s: step name %q: want letters, digits, - and _", p.Name, s.Name)
			}
			if steps[s.Name] {
				return fmt.Errorf("phase %s: step %q is given twice", p.Name, s.Name)
			}
			steps[s.Name] = true
			if !known(s.Action) {
				return fmt.Errorf("phase %s, step %s: unknown action %q", p.Name, s.Name, s.Action)
			}
			if s.Action == "ExecutePowerShell" {
				cmds, _ := s.Inputs["commands"].([]any)
				if len(cmds) == 0 && s.Inputs["file"] == nil {
					return fmt.Errorf("phase %s, step %s: ExecutePowerShell needs inputs.commands or inputs.file", p.Name, s.Name)
				}
			}
		}
	}
	return nil
}

func known(action string) bool {
	for _, a := range Actions {
		if strings.EqualFold(a, action) {
			return a == action
		}
	}
	return false
}
