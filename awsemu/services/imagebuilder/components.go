package imagebuilder

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/restjson"
	"github.com/winami/winami/awsemu/world"
)

// component is one build version of a component.
type component struct {
	arn      string // build version ARN
	region   string
	account  string // ARN account: the owner's, or "aws" for Amazon-managed components
	owner    string // "123456789012" or "Amazon"
	name     string
	version  semver
	build    int
	platform string
	typ      string // BUILD or TEST
	data     string
	params   []map[string]any
	doc      map[string]any // description, changeDescription, supportedOsVersions, kmsKeyId
	tags     map[string]string
	created  time.Time
}

func (c *component) versionARN() string {
	return resourceARN(c.region, c.account, "component", c.name, c.version.String())
}

func (c *component) full() map[string]any {
	out := clone(c.doc)
	out["arn"] = c.arn
	out["name"] = c.name
	out["version"] = c.version.String()
	out["type"] = c.typ
	out["platform"] = c.platform
	out["owner"] = c.owner
	out["data"] = c.data
	out["encrypted"] = true
	out["dateCreated"] = timeString(c.created)
	out["tags"] = tagsOrEmpty(c.tags)
	out["state"] = map[string]any{"status": "ACTIVE"}
	out["obfuscate"] = false
	if len(c.params) > 0 {
		out["parameters"] = c.params
	}
	return out
}

func (c *component) versionSummary() map[string]any {
	out := map[string]any{
		"arn": c.versionARN(), "name": c.name, "version": c.version.String(), "platform": c.platform,
		"type": c.typ, "owner": c.owner, "dateCreated": timeString(c.created), "status": "ACTIVE",
	}
	for _, k := range []string{"description", "supportedOsVersions"} {
		if v, ok := c.doc[k]; ok {
			out[k] = v
		}
	}
	return out
}

func (c *component) buildSummary() map[string]any {
	out := map[string]any{
		"arn": c.arn, "name": c.name, "version": c.version.String(), "platform": c.platform,
		"type": c.typ, "owner": c.owner, "dateCreated": timeString(c.created),
		"state": map[string]any{"status": "ACTIVE"}, "tags": tagsOrEmpty(c.tags), "obfuscate": false,
	}
	for _, k := range []string{"description", "changeDescription", "supportedOsVersions"} {
		if v, ok := c.doc[k]; ok {
			out[k] = v
		}
	}
	return out
}

func tagsOrEmpty(t map[string]string) map[string]string {
	if t == nil {
		return map[string]string{}
	}
	return t
}

// validateDocument checks that data is a YAML AWSTOE document: a map with phases, each
// phase named build, validate or test with uniquely named steps that each have an
// action. It returns the component type and its parameters.
func validateDocument(data string) (typ string, params []map[string]any, err error) {
	j, e := yaml.YAMLToJSON([]byte(data))
	if e != nil {
		return "", nil, fmt.Errorf("data is not a valid YAML document: %v", e)
	}
	var doc map[string]any
	if e := json.Unmarshal(j, &doc); e != nil || doc == nil {
		return "", nil, fmt.Errorf("data must be a YAML mapping with a phases list")
	}
	for k := range doc {
		switch k {
		case "name", "description", "schemaVersion", "parameters", "phases", "constants":
		default:
			return "", nil, fmt.Errorf("unknown top-level key %q in the component document", k)
		}
	}
	phases, ok := doc["phases"].([]any)
	if !ok || len(phases) == 0 {
		return "", nil, fmt.Errorf("the component document must have a non-empty phases list")
	}
	typ = "TEST"
	seenPhase := map[string]bool{}
	for i, p := range phases {
		pm, ok := p.(map[string]any)
		if !ok {
			return "", nil, fmt.Errorf("phases[%d] must be a mapping", i)
		}
		name, _ := pm["name"].(string)
		switch name {
		case "build", "validate":
			typ = "BUILD"
		case "test":
		default:
			return "", nil, fmt.Errorf("phases[%d].name must be build, validate or test, not %q", i, name)
		}
		if seenPhase[name] {
			return "", nil, fmt.Errorf("phase %s appears twice", name)
		}
		seenPhase[name] = true
		steps, ok := pm["steps"].([]any)
		if !ok || len(steps) == 0 {
			return "", nil, fmt.Errorf("phase %s must have a non-empty steps list", name)
		}
		seenStep := map[string]bool{}
		for j, st := range steps {
			sm, ok := st.(map[string]any)
			if !ok {
				return "", nil, fmt.Errorf("phase %s step %d must be a mapping", name, j)
			}
			sn, _ := sm["name"].(string)
			if !stepNameRE.MatchString(sn) {
				return "", nil, fmt.Errorf("phase %s step %d needs a name of letters, digits and _ (got %q)", name, j, sn)
			}
			if seenStep[sn] {
				return "", nil, fmt.Errorf("phase %s has two steps named %s", name, sn)
			}
			seenStep[sn] = true
			if a, _ := sm["action"].(string); a == "" {
				return "", nil, fmt.Errorf("step %s of phase %s has no action", sn, name)
			}
		}
	}
	if ps, ok := doc["parameters"]; ok {
		list, ok := ps.([]any)
		if !ok {
			return "", nil, fmt.Errorf("parameters must be a list")
		}
		for i, p := range list {
			pm, ok := p.(map[string]any)
			if !ok || len(pm) != 1 {
				return "", nil, fmt.Errorf("parameters[%d] must be a mapping with one parameter name", i)
			}
			for pname, spec := range pm {
				sm, _ := spec.(map[string]any)
				ptype, _ := sm["type"].(string)
				if ptype == "" {
					return "", nil, fmt.Errorf("parameter %s has no type", pname)
				}
				out := map[string]any{"name": pname, "type": ptype}
				if d, ok := sm["default"]; ok {
					out["defaultValue"] = []string{fmt.Sprint(d)}
				}
				if d, ok := sm["description"].(string); ok && d != "" {
					out["description"] = d
				}
				params = append(params, out)
			}
		}
	}
	return typ, params, nil
}

func createComponent(c *call) (map[string]any, *restjson.Error) {
	var in struct {
		Name                string   `json:"name"`
		SemanticVersion     string   `json:"semanticVersion"`
		Platform            string   `json:"platform"`
		Data                *string  `json:"data"`
		URI                 *string  `json:"uri"`
		SupportedOsVersions []string `json:"supportedOsVersions"`
		DryRun              bool     `json:"dryRun"`
	}
	if err := decode(c.raw, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	v, ok := parseVersion(in.SemanticVersion)
	if !ok {
		return nil, restjson.Errorf(http.StatusBadRequest, "InvalidVersionNumberException",
			"The value supplied for parameter 'semanticVersion' is not valid. semanticVersion must match pattern ^[0-9]+\\.[0-9]+\\.[0-9]+$ with nodes of at most %d.", maxNode)
	}
	switch in.Platform {
	case "Windows", "Linux", "macOS":
	default:
		return nil, invalidParam("platform", "platform must be one of Windows, Linux, macOS")
	}
	for _, f := range []string{"description", "changeDescription", "kmsKeyId"} {
		if err := checkOptional(c.raw, f, 1024); err != nil {
			return nil, err
		}
	}
	if len(in.SupportedOsVersions) > 25 {
		return nil, invalidParam("supportedOsVersions", "at most 25 OS versions")
	}
	switch {
	case in.Data != nil && in.URI != nil:
		return nil, restjson.Errorf(http.StatusBadRequest, "InvalidParameterCombinationException", "You can specify either data or uri, but not both.")
	case in.URI != nil:
		return nil, invalidParam("uri", "awsemu does not read component documents from Amazon S3; send the document inline in data")
	case in.Data == nil:
		return nil, restjson.Errorf(http.StatusBadRequest, "InvalidParameterCombinationException", "You must specify either data or uri.")
	}
	if len(*in.Data) < 1 || len([]rune(*in.Data)) > 16000 {
		return nil, invalidParam("data", "data must be between 1 and 16000 characters (got %d)", len([]rune(*in.Data)))
	}
	if strings.ContainsRune(*in.Data, 0) {
		return nil, invalidParam("data", "data must not contain NUL characters")
	}
	typ, params, err := validateDocument(*in.Data)
	if err != nil {
		return nil, invalidParam("data", "%v", err)
	}
	tags, terr := checkTags("tags", c.raw["tags"])
	if terr != nil {
		return nil, terr
	}
	verARN := resourceARN(c.Region, c.Account, "component", in.Name, v.String())
	for _, existing := range c.rg.components {
		if existing.versionARN() == verARN {
			return nil, alreadyExists("Component", verARN)
		}
	}
	if in.DryRun {
		return nil, restjson.Errorf(http.StatusPreconditionFailed, "DryRunOperationException", "The request would have succeeded, but the dryRun flag is set.")
	}
	doc := map[string]any{}
	for _, k := range []string{"description", "changeDescription", "supportedOsVersions", "kmsKeyId"} {
		if x, ok := c.raw[k]; ok {
			doc[k] = x
		}
	}
	comp := &component{
		region: c.Region, account: c.Account, owner: c.Account, name: in.Name, version: v, build: 1,
		platform: in.Platform, typ: typ, data: *in.Data, params: params, doc: doc, tags: tags, created: c.now,
	}
	comp.arn = resourceARN(c.Region, c.Account, "component", in.Name, v.String(), "1")
	c.rg.components[comp.arn] = comp
	return map[string]any{
		"componentBuildVersionArn": comp.arn,
		"latestVersionReferences":  latestReferences(c.Region, c.Account, "component", in.Name, v),
	}, nil
}

// allComponents lists the components visible in a region: the caller's and Amazon's.
func (s *Service) allComponents(rg *region, regionName string) []*component {
	out := make([]*component, 0, len(rg.components))
	for _, k := range slices.Sorted(maps.Keys(rg.components)) {
		out = append(out, rg.components[k])
	}
	for _, c := range managedComponents(regionName) {
		if !s.withdrawn[withdrawnKey(regionName, c.name, c.version.String())] {
			out = append(out, c)
		}
	}
	return out
}

// managedControl is the control path (under awsemu.ControlPrefix) that withdraws an
// Amazon-managed component version from a region, as a region where Amazon has not
// published it yet looks: POST {"region","name","version"} (version 1.33.0). Amazon
// publishes eks-optimized-ami-windows for a new Kubernetes version some time after the
// release, which the build preflight checks; no AWS operation does this.
const managedControl = "imagebuilder/managed-components"

// ManagedComponentWithdrawal is the body of a POST to the managed-components control path.
type ManagedComponentWithdrawal struct {
	Region  string `json:"region"`
	Name    string `json:"name"`
	Version string `json:"version"`
}

func withdrawnKey(region, name, version string) string { return region + "/" + name + "/" + version }

func (s *Service) serveManagedControl(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	var in ManagedComponentWithdrawal
	if r.Method != http.MethodPost {
		http.Error(w, `{"error":"POST a {\"region\",\"name\",\"version\"} to withdraw a managed component version"}`, http.StatusMethodNotAllowed)
		return
	}
	if !awsemu.DecodeControl(w, r, &in) {
		return
	}
	if in.Region == "" || in.Name == "" || !versionRE.MatchString(in.Version) {
		awsemu.ControlError(w, http.StatusBadRequest, "give region, name and version (1.2.3) of the managed component version to withdraw, not %q, %q, %q", in.Region, in.Name, in.Version)
		return
	}
	found := false
	for _, c := range managedComponents(in.Region) {
		found = found || c.name == in.Name && c.version.String() == in.Version
	}
	if !found {
		http.Error(w, fmt.Sprintf(`{"error":%q}`, "no managed component "+in.Name+" "+in.Version+" in "+in.Region), http.StatusNotFound)
		return
	}
	s.mu.Lock()
	s.withdrawn[withdrawnKey(in.Region, in.Name, in.Version)] = true
	s.mu.Unlock()
	_, _ = w.Write([]byte(`{}`))
}

// resolveComponent finds the component build version an ARN names: a build version ARN
// exactly, a version ARN's newest build, or the newest version matching a wildcard.
func (s *Service) resolveComponent(c *call, arn string) (*component, *restjson.Error) {
	p, ok := parseARN(arn)
	if !ok || p.kind != "component" || p.version == "" {
		return nil, invalidParam("componentArn", "'%s' is not a component ARN", arn)
	}
	if p.region != c.Region {
		return nil, notFound("The component '%s' is not in region %s.", arn, c.Region)
	}
	pat, _ := parsePattern(p.version)
	var best *component
	for _, comp := range s.allComponents(c.rg, c.Region) {
		if comp.account != p.account || arnName(comp.name) != p.name || !pat.matches(comp.version) {
			continue
		}
		if p.build != "" && fmt.Sprint(comp.build) != p.build {
			continue
		}
		if best == nil || best.version.less(comp.version) || (best.version == comp.version && best.build < comp.build) {
			best = comp
		}
	}
	if best == nil {
		return nil, notFound("The resource ARN '%s' does not exist.", arn)
	}
	return best, nil
}

func getComponent(c *call) (map[string]any, *restjson.Error) {
	arn := c.HTTP.URL.Query().Get("componentBuildVersionArn")
	if arn == "" {
		return nil, invalidRequest("componentBuildVersionArn is required")
	}
	comp, err := c.s.resolveComponent(c, arn)
	if err != nil {
		if err.Code == "InvalidParameterValueException" {
			err = invalidParam("componentBuildVersionArn", "'%s' is not a component ARN", arn)
		}
		return nil, err
	}
	return map[string]any{
		"component":               comp.full(),
		"latestVersionReferences": latestReferences(comp.region, comp.account, "component", comp.name, comp.version),
	}, nil
}

func ownerFilter(c *call) (string, *restjson.Error) {
	owner, _ := c.raw["owner"].(string)
	switch owner {
	case "":
		return "Self", nil
	case "Self", "Shared", "Amazon", "ThirdParty", "AWSMarketplace":
		return owner, nil
	}
	return "", invalidParam("owner", "owner must be one of Self, Shared, Amazon, ThirdParty, AWSMarketplace")
}

func listComponents(c *call) (map[string]any, *restjson.Error) {
	owner, err := ownerFilter(c)
	if err != nil {
		return nil, err
	}
	fs, err := filters(c, "description", "name", "platform", "supportedOsVersion", "type", "version")
	if err != nil {
		return nil, err
	}
	byName, _ := c.raw["byName"].(bool)
	// One entry per semantic version (newest build), or per name with byName.
	latest := map[string]*component{}
	for _, comp := range c.s.allComponents(c.rg, c.Region) {
		switch owner {
		case "Self":
			if comp.owner != c.Account {
				continue
			}
		case "Amazon":
			if comp.owner != "Amazon" {
				continue
			}
		default:
			continue
		}
		desc, _ := comp.doc["description"].(string)
		if !match(fs, "name", comp.name) || !match(fs, "platform", comp.platform) || !match(fs, "type", comp.typ) ||
			!match(fs, "version", comp.version.String()) || !match(fs, "description", desc) {
			continue
		}
		if vals, ok := fs["supportedOsVersion"]; ok {
			var oses []string
			_ = decode(comp.doc["supportedOsVersions"], &oses)
			hit := false
			for _, want := range vals {
				for _, os := range oses {
					if strings.HasPrefix(want, os) || strings.HasPrefix(os, want) {
						hit = true
					}
				}
			}
			if !hit {
				continue
			}
		}
		key := comp.account + "/" + comp.name + "/" + comp.version.String()
		if byName {
			key = comp.account + "/" + comp.name
		}
		if b := latest[key]; b == nil || b.version.less(comp.version) || (b.version == comp.version && b.build < comp.build) {
			latest[key] = comp
		}
	}
	items := make([]*component, 0, len(latest))
	for _, k := range slices.Sorted(maps.Keys(latest)) {
		items = append(items, latest[k])
	}
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].name != items[j].name {
			return items[i].name < items[j].name
		}
		return items[i].version.less(items[j].version)
	})
	return page(c, items, "componentVersionList", func(comp *component) map[string]any {
		m := comp.versionSummary()
		if byName {
			m["arn"] = resourceARN(comp.region, comp.account, "component", comp.name, "x.x.x")
		}
		return m
	})
}

func listComponentBuildVersions(c *call) (map[string]any, *restjson.Error) {
	arn, _ := c.raw["componentVersionArn"].(string)
	p, ok := parseARN(arn)
	if !ok || p.kind != "component" || p.build != "" || !versionRE.MatchString(p.version) {
		return nil, invalidParam("componentVersionArn", "componentVersionArn must be a component version ARN (…:component/<name>/<major>.<minor>.<patch>)")
	}
	var items []*component
	for _, comp := range c.s.allComponents(c.rg, c.Region) {
		if comp.versionARN() == arn {
			items = append(items, comp)
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].build < items[j].build })
	return page(c, items, "componentSummaryList", (*component).buildSummary)
}

func deleteComponent(c *call) (map[string]any, *restjson.Error) {
	arn := c.HTTP.URL.Query().Get("componentBuildVersionArn")
	p, ok := parseARN(arn)
	if !ok || p.kind != "component" || p.build == "" || !versionRE.MatchString(p.version) {
		return nil, invalidParam("componentBuildVersionArn", "componentBuildVersionArn must be a component build version ARN")
	}
	if p.account == "aws" {
		return nil, restjson.Errorf(http.StatusForbidden, "ForbiddenException", "You are not authorized to delete the Amazon-managed component '%s'.", arn)
	}
	comp, ok := c.rg.components[arn]
	if !ok {
		return nil, notFound("The resource ARN '%s' does not exist.", arn)
	}
	var users []string
	for _, k := range slices.Sorted(maps.Keys(c.rg.recipes)) {
		rec := c.rg.recipes[k]
		for _, cc := range rec.components {
			if got, err := c.s.resolveComponent(c, cc.ComponentArn); err == nil && got == comp {
				users = append(users, rec.arn)
				break
			}
		}
	}
	if len(users) > 0 {
		return nil, dependency(arn, users)
	}
	delete(c.rg.components, arn)
	return map[string]any{"componentBuildVersionArn": arn}, nil
}

// managedReleased is the date the seeded Amazon-managed components carry.
var managedReleased = time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC)

// managedComponents are the Amazon-managed components of a region: eks-optimized-ami-windows
// at <k8s>.0 for every Kubernetes version of package world, and update-windows 1.0.0–1.0.2.
func managedComponents(region string) []*component {
	var out []*component
	add := func(name string, v semver, desc, data string, oses []string) {
		c := &component{
			region: region, account: "aws", owner: "Amazon", name: name, version: v, build: 1,
			platform: "Windows", typ: "BUILD", data: data, created: managedReleased,
			doc: map[string]any{"description": desc, "supportedOsVersions": oses},
		}
		c.arn = resourceARN(region, "aws", "component", name, v.String(), "1")
		out = append(out, c)
	}
	for _, k := range world.KubernetesVersions() {
		var v semver
		if _, err := fmt.Sscanf(k, "%d.%d", &v[0], &v[1]); err != nil {
			continue
		}
		data := fmt.Sprintf(`name: %s
description: Installs and configures the components of an EKS-optimized Windows AMI for Kubernetes %s.
schemaVersion: 1.0
phases:
  - name: build
    steps:
      - name: InstallEKSComponents
        action: ExecutePowerShell
        inputs:
          commands:
            - Write-Host "Installing kubelet, kube-proxy and containerd for Kubernetes %s"
  - name: validate
    steps:
      - name: ValidateEKSComponents
        action: ExecutePowerShell
        inputs:
          commands:
            - Get-Service kubelet
`, world.ComponentEKS(), k, k)
		add(world.ComponentEKS(), v, "Installs the EKS-optimized Windows AMI components (kubelet, kube-proxy, containerd) for Kubernetes "+k+".",
			data, []string{"Microsoft Windows Server 2019", "Microsoft Windows Server 2022", "Microsoft Windows Server 2025"})
	}
	for patch := 0; patch <= 2; patch++ {
		data := `name: update-windows
description: Updates Microsoft Windows with the latest security updates.
schemaVersion: 1.0
phases:
  - name: build
    steps:
      - name: UpdateWindows
        action: UpdateOS
`
		add(world.ComponentUpdateWindows(), semver{1, 0, patch}, "Updates Microsoft Windows with the latest security updates.",
			data, []string{"Microsoft Windows Server"})
	}
	return out
}

var stepNameRE = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
