package imagebuilder

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/winami/winami/awsemu/protocol/restjson"
)

// maxRecipeComponents is the most components a recipe may hold (see CreateImageRecipe).
const maxRecipeComponents = 20

// componentConfig is one entry of a recipe's components.
type componentConfig struct {
	ComponentArn string `json:"componentArn"`
	Parameters   []struct {
		Name  string   `json:"name"`
		Value []string `json:"value"`
	} `json:"parameters"`
}

// blockDevice is one entry of a recipe's blockDeviceMappings.
type blockDevice struct {
	DeviceName string `json:"deviceName"`
	Ebs        *struct {
		VolumeSize          int32   `json:"volumeSize"`
		VolumeType          string  `json:"volumeType"`
		SnapshotID          string  `json:"snapshotId"`
		Iops                *int32  `json:"iops"`
		Throughput          *int32  `json:"throughput"`
		Encrypted           *bool   `json:"encrypted"`
		KmsKeyID            *string `json:"kmsKeyId"`
		DeleteOnTermination *bool   `json:"deleteOnTermination"`
	} `json:"ebs"`
	NoDevice *string `json:"noDevice"`
}

// recipe is one version of an image recipe.
type recipe struct {
	arn         string
	region      string
	name        string
	version     semver
	platform    string
	parentImage string
	components  []componentConfig
	devices     []blockDevice
	amiTags     map[string]string
	doc         map[string]any
	tags        map[string]string
	created     time.Time
}

func (r *recipe) full(account string) map[string]any {
	out := clone(r.doc)
	out["arn"] = r.arn
	out["type"] = "AMI"
	out["name"] = r.name
	out["version"] = r.version.String()
	out["platform"] = r.platform
	out["owner"] = account
	out["parentImage"] = r.parentImage
	out["dateCreated"] = timeString(r.created)
	out["tags"] = tagsOrEmpty(r.tags)
	return out
}

func (r *recipe) summary(account string) map[string]any {
	return map[string]any{
		"arn": r.arn, "name": r.name, "platform": r.platform, "owner": account,
		"parentImage": r.parentImage, "dateCreated": timeString(r.created), "tags": tagsOrEmpty(r.tags),
	}
}

var amiIDRE = regexp.MustCompile(`^ami-[0-9a-f]{8}([0-9a-f]{9})?$`)

// checkParentImage accepts what Image Builder accepts as a parent image: an AMI id, an
// `ssm:` parameter reference, or an Image Builder image ARN.
func checkParentImage(s string) *restjson.Error {
	switch {
	case amiIDRE.MatchString(s):
	case strings.HasPrefix(s, "ssm:") && len(s) > len("ssm:"):
	default:
		if p, ok := parseARN(s); ok && p.kind == "image" {
			return nil
		}
		return invalidParam("parentImage", "parentImage must be an AMI ID (ami-…), an SSM parameter reference (ssm:<parameter>) or an Image Builder image ARN, not %q", s)
	}
	return nil
}

func createImageRecipe(c *call) (map[string]any, *restjson.Error) {
	var in struct {
		Name            string            `json:"name"`
		SemanticVersion string            `json:"semanticVersion"`
		ParentImage     string            `json:"parentImage"`
		Components      []componentConfig `json:"components"`
		Devices         []blockDevice     `json:"blockDeviceMappings"`
		AmiTags         map[string]string `json:"amiTags"`
	}
	if err := decode(c.raw, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	if err := checkOptional(c.raw, "description", 1024); err != nil {
		return nil, err
	}
	if err := checkOptional(c.raw, "workingDirectory", 1024); err != nil {
		return nil, err
	}
	if in.ParentImage == "" || len(in.ParentImage) > 1024 {
		return nil, invalidParam("parentImage", "parentImage is required (1 to 1024 characters)")
	}
	if err := checkParentImage(in.ParentImage); err != nil {
		return nil, err
	}
	if len(in.Components) == 0 {
		return nil, invalidParam("components", "a recipe needs at least one component")
	}
	// "Recipes require a minimum of one build component, and can have a maximum of 20
	// build and test components in any combination." (API Reference, ImageRecipe,
	// components: https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_ImageRecipe.html)
	if len(in.Components) > maxRecipeComponents {
		return nil, invalidParam("components", "a recipe can have a maximum of %d build and test components; this one has %d", maxRecipeComponents, len(in.Components))
	}
	platform := ""
	for i, cc := range in.Components {
		comp, err := c.s.resolveComponent(c, cc.ComponentArn)
		if err != nil {
			return nil, err
		}
		if platform == "" {
			platform = comp.platform
		} else if comp.platform != platform {
			return nil, invalidParam("components", "component %d (%s) is for %s, the recipe's other components for %s", i, cc.ComponentArn, comp.platform, platform)
		}
	}
	if err := checkBlockDevices(in.Devices); err != nil {
		return nil, err
	}
	tags, err := checkTags("tags", c.raw["tags"])
	if err != nil {
		return nil, err
	}
	if _, err := checkTags("amiTags", c.raw["amiTags"]); err != nil {
		return nil, err
	}
	v, ok := parseVersion(in.SemanticVersion)
	if !ok {
		// Wildcard versions (1.0.x) take the next free version of that line.
		pat, pok := parsePattern(in.SemanticVersion)
		if !pok {
			return nil, restjson.Errorf(http.StatusBadRequest, "InvalidVersionNumberException",
				"The value supplied for parameter 'semanticVersion' is not valid. semanticVersion must match pattern ^(?:[0-9]+|x)\\.(?:[0-9]+|x)\\.(?:[0-9]+|x)$ with nodes of at most %d.", maxNode)
		}
		v = nextVersion(c, in.Name, pat)
	}
	arn := resourceARN(c.Region, c.Account, "image-recipe", in.Name, v.String())
	if _, ok := c.rg.recipes[arn]; ok {
		return nil, alreadyExists("ImageRecipe", arn)
	}
	doc := map[string]any{}
	for _, k := range []string{"description", "components", "blockDeviceMappings", "workingDirectory", "additionalInstanceConfiguration", "amiTags"} {
		if x, ok := c.raw[k]; ok {
			doc[k] = x
		}
	}
	c.rg.recipes[arn] = &recipe{
		arn: arn, region: c.Region, name: in.Name, version: v, platform: platform, parentImage: in.ParentImage,
		components: in.Components, devices: in.Devices, amiTags: in.AmiTags, doc: doc, tags: tags, created: c.now,
	}
	return map[string]any{
		"imageRecipeArn":          arn,
		"latestVersionReferences": latestReferences(c.Region, c.Account, "image-recipe", in.Name, v),
	}, nil
}

// checkBlockDevices applies the model's constraints on EbsInstanceBlockDeviceSpecification
// (EC2 Image Builder API Reference,
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_EbsInstanceBlockDeviceSpecification.html):
// volumeSize 1..16000, volumeType one of standard|io1|io2|gp2|gp3|sc1|st1, iops 100..64000,
// throughput 125..1000, kmsKeyId 1..1024 characters ("the Key ARN or the Alias ARN"; the
// model has no pattern, so a key id or alias name is taken here and resolved at build time).
// Whether the key exists and may be used is checked when the build launches its instance.
func checkBlockDevices(devs []blockDevice) *restjson.Error {
	for i, d := range devs {
		if d.Ebs == nil {
			continue
		}
		field := fmt.Sprintf("blockDeviceMappings[%d].ebs", i)
		if d.Ebs.VolumeSize != 0 && (d.Ebs.VolumeSize < 1 || d.Ebs.VolumeSize > 16000) {
			return invalidParam(field+".volumeSize", "volumeSize must be between 1 and 16000 GiB")
		}
		switch d.Ebs.VolumeType {
		case "", "standard", "io1", "io2", "gp2", "gp3", "sc1", "st1":
		default:
			return invalidParam(field+".volumeType", "volumeType %q is not valid: standard, io1, io2, gp2, gp3, sc1 or st1", d.Ebs.VolumeType)
		}
		if d.Ebs.Iops != nil && (*d.Ebs.Iops < 100 || *d.Ebs.Iops > 64000) {
			return invalidParam(field+".iops", "iops must be between 100 and 64000")
		}
		if d.Ebs.Throughput != nil && (*d.Ebs.Throughput < 125 || *d.Ebs.Throughput > 1000) {
			return invalidParam(field+".throughput", "throughput must be between 125 and 1000 MiB/s")
		}
		if d.Ebs.KmsKeyID != nil && (len(*d.Ebs.KmsKeyID) < 1 || len(*d.Ebs.KmsKeyID) > 1024) {
			return invalidParam(field+".kmsKeyId", "kmsKeyId must be between 1 and 1024 characters (a KMS key ARN or alias ARN)")
		}
	}
	return nil
}

// nextVersion picks the version a wildcard create gets: one more than the highest existing
// value of the first wildcard node among versions matching the fixed nodes before it.
func nextVersion(c *call, name string, pat pattern) semver {
	first := 0
	for first < 3 && pat[first] >= 0 {
		first++
	}
	var v semver
	for i := 0; i < first; i++ {
		v[i] = pat[i]
	}
	next := 0
	for _, r := range c.rg.recipes {
		if arnName(r.name) != arnName(name) {
			continue
		}
		prefix := true
		for i := 0; i < first; i++ {
			if r.version[i] != pat[i] {
				prefix = false
			}
		}
		if prefix && r.version[first] >= next {
			next = r.version[first] + 1
		}
	}
	v[first] = next
	for i := first + 1; i < 3; i++ {
		if pat[i] >= 0 {
			v[i] = pat[i]
		}
	}
	return v
}

// findRecipe resolves a recipe ARN (version or wildcard) to the newest matching recipe.
func findRecipe(c *call, arn, param string) (*recipe, *restjson.Error) {
	p, ok := parseARN(arn)
	if !ok || p.kind != "image-recipe" || p.version == "" || p.build != "" {
		return nil, invalidParam(param, "%s must be an image recipe ARN (…:image-recipe/<name>/<version>)", param)
	}
	if r, ok := c.rg.recipes[arn]; ok {
		return r, nil
	}
	pat, _ := parsePattern(p.version)
	var best *recipe
	for _, r := range c.rg.recipes {
		if p.account == c.Account && arnName(r.name) == p.name && pat.matches(r.version) && (best == nil || best.version.less(r.version)) {
			best = r
		}
	}
	if best == nil {
		return nil, notFound("The resource ARN '%s' does not exist.", arn)
	}
	return best, nil
}

func getImageRecipe(c *call) (map[string]any, *restjson.Error) {
	r, err := findRecipe(c, c.HTTP.URL.Query().Get("imageRecipeArn"), "imageRecipeArn")
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"imageRecipe":             r.full(c.Account),
		"latestVersionReferences": latestReferences(c.Region, c.Account, "image-recipe", r.name, r.version),
	}, nil
}

func listImageRecipes(c *call) (map[string]any, *restjson.Error) {
	owner, err := ownerFilter(c)
	if err != nil {
		return nil, err
	}
	fs, err := filters(c, "name", "parentImage", "platform")
	if err != nil {
		return nil, err
	}
	var items []*recipe
	if owner == "Self" {
		for _, k := range slices.Sorted(maps.Keys(c.rg.recipes)) {
			r := c.rg.recipes[k]
			if match(fs, "name", r.name) && match(fs, "parentImage", r.parentImage) && match(fs, "platform", r.platform) {
				items = append(items, r)
			}
		}
	}
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].name != items[j].name {
			return items[i].name < items[j].name
		}
		return items[i].version.less(items[j].version)
	})
	return page(c, items, "imageRecipeSummaryList", func(r *recipe) map[string]any { return r.summary(c.Account) })
}

func deleteImageRecipe(c *call) (map[string]any, *restjson.Error) {
	arn := c.HTTP.URL.Query().Get("imageRecipeArn")
	p, ok := parseARN(arn)
	if !ok || p.kind != "image-recipe" || !versionRE.MatchString(p.version) {
		return nil, invalidParam("imageRecipeArn", "imageRecipeArn must be an image recipe version ARN")
	}
	if _, ok := c.rg.recipes[arn]; !ok {
		return nil, notFound("The resource ARN '%s' does not exist.", arn)
	}
	var users []string
	for _, k := range slices.Sorted(maps.Keys(c.rg.pipelines)) {
		pl := c.rg.pipelines[k]
		if r, err := findRecipe(c, pl.recipeArn, "imageRecipeArn"); err == nil && r.arn == arn {
			users = append(users, pl.arn)
		}
	}
	if len(users) > 0 {
		return nil, dependency(arn, users)
	}
	delete(c.rg.recipes, arn)
	return map[string]any{"imageRecipeArn": arn}, nil
}
