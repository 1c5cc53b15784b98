package cli

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/winami/winami/spec"
)

// profileError turns the SDK's "failed to get shared config profile" into bad input
// naming where the profile came from (--profile, else AWS_PROFILE), the files the SDK
// read and the profiles they hold; nil for any other error. The SDK refuses such a
// profile while it loads the configuration, before any request.
func profileError(f *Factory, err error) error {
	var pe config.SharedConfigProfileNotExistError
	if !errors.As(err, &pe) {
		return nil
	}
	from := "flag --profile"
	if f.Profile == "" {
		from = "AWS_PROFILE"
	}
	files := pe.Filename
	if len(files) == 0 {
		files = sharedFiles()
	}
	names := profileNames(files)
	hint := ""
	if s := spec.Suggest(pe.Profile, names); s != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", s)
	}
	have := "they define no profile: create it with aws configure --profile " + pe.Profile + ", or aws configure sso"
	if len(names) > 0 {
		have = "use one of " + strings.Join(names, ", ")
	}
	return Usagef("%s %q: no such AWS profile%s in %s; %s", from, pe.Profile, hint, strings.Join(files, " or "), have)
}

// sharedFiles are the shared config and credentials files the SDK reads: AWS_CONFIG_FILE
// and AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/config and ~/.aws/credentials.
func sharedFiles() []string {
	cfg, creds := os.Getenv("AWS_CONFIG_FILE"), os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	if cfg == "" {
		cfg = config.DefaultSharedConfigFilename()
	}
	if creds == "" {
		creds = config.DefaultSharedCredentialsFilename()
	}
	return []string{cfg, creds}
}

// profileNames lists the profiles of the shared config and credentials files, as the
// SDK reads them: [profile NAME] or [default] in the config file, [NAME] in the
// credentials file (AWS CLI User Guide, "Configuration and credential file settings",
// https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html).
func profileNames(files []string) []string {
	var out []string
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "[") || !strings.HasSuffix(line, "]") {
				continue
			}
			name := strings.TrimSpace(line[1 : len(line)-1])
			if rest, ok := strings.CutPrefix(name, "profile "); ok {
				name = strings.TrimSpace(rest)
			} else if strings.HasPrefix(name, "sso-session ") || strings.HasPrefix(name, "services ") {
				continue
			}
			if name != "" && !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}
