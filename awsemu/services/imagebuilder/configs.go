package imagebuilder

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/winami/winami/awsemu/protocol/restjson"
)

// config is an infrastructure or a distribution configuration.
type config struct {
	arn     string
	name    string
	doc     map[string]any // the mutable fields as last sent
	tags    map[string]string
	created time.Time
	updated time.Time
}

func (cf *config) full() map[string]any {
	out := clone(cf.doc)
	out["arn"] = cf.arn
	out["name"] = cf.name
	out["dateCreated"] = timeString(cf.created)
	if !cf.updated.IsZero() {
		out["dateUpdated"] = timeString(cf.updated)
	}
	out["tags"] = tagsOrEmpty(cf.tags)
	return out
}

var infraFields = []string{"description", "instanceTypes", "instanceProfileName", "securityGroupIds", "subnetId",
	"logging", "keyPair", "terminateInstanceOnFailure", "snsTopicArn", "resourceTags", "instanceMetadataOptions", "placement"}

var instanceProfileRE = regexp.MustCompile(`^[\w+=,.@-]+$`)
var snsRE = regexp.MustCompile(`^arn:aws[^:]*:sns:[^:]+:[0-9]{12}:[a-zA-Z0-9-_]{1,256}$`)

func validateInfra(c *call) *restjson.Error {
	var in struct {
		InstanceProfileName string   `json:"instanceProfileName"`
		InstanceTypes       []string `json:"instanceTypes"`
		SnsTopicArn         *string  `json:"snsTopicArn"`
		Metadata            *struct {
			HTTPTokens string `json:"httpTokens"`
			HopLimit   *int   `json:"httpPutResponseHopLimit"`
		} `json:"instanceMetadataOptions"`
		ResourceTags map[string]string `json:"resourceTags"`
		Logging      *struct {
			S3Logs *struct {
				Bucket *string `json:"s3BucketName"`
				Prefix *string `json:"s3KeyPrefix"`
			} `json:"s3Logs"`
		} `json:"logging"`
	}
	if err := decode(c.raw, &in); err != nil {
		return err
	}
	// Logging.s3Logs: s3BucketName and s3KeyPrefix are each 1 to 1024 characters (API
	// Reference, https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_S3Logs.html
	// and API_Logging.html). Whether the bucket exists and the instance profile's role may
	// write there is found out by the build (logs.go).
	if in.Logging != nil && in.Logging.S3Logs != nil {
		for name, v := range map[string]*string{"s3BucketName": in.Logging.S3Logs.Bucket, "s3KeyPrefix": in.Logging.S3Logs.Prefix} {
			if v != nil && (len(*v) < 1 || len(*v) > 1024) {
				return invalidParam("logging.s3Logs."+name, "%s must be between 1 and 1024 characters", name)
			}
		}
	}
	if n := len(in.InstanceProfileName); n < 1 || n > 256 || !instanceProfileRE.MatchString(in.InstanceProfileName) {
		return invalidParam("instanceProfileName", "instanceProfileName must be 1 to 256 characters matching ^[\\w+=,.@-]+$")
	}
	for _, t := range in.InstanceTypes {
		if !instanceTypeRE.MatchString(t) {
			return invalidParam("instanceTypes", "%q is not an EC2 instance type", t)
		}
	}
	// snsTopicArn: the model's SnsTopicArn pattern,
	// ^arn:aws[^:]*:sns:[^:]+:[0-9]{12}:[a-zA-Z0-9-_]{1,256}$ (API Reference,
	// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_CreateInfrastructureConfiguration.html).
	// awsemu serves no SNS: nothing is published to the topic (DIFFERENCES.md).
	if in.SnsTopicArn != nil && !snsRE.MatchString(*in.SnsTopicArn) {
		return invalidParam("snsTopicArn", "snsTopicArn must be an SNS topic ARN matching ^arn:aws[^:]*:sns:[^:]+:[0-9]{12}:[a-zA-Z0-9-_]{1,256}$, not %q", *in.SnsTopicArn)
	}
	// InstanceMetadataOptions: httpTokens matches optional|required, httpPutResponseHopLimit
	// is 1..64 (EC2 Image Builder API Reference,
	// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_InstanceMetadataOptions.html);
	// a hop limit given as 0 is out of range, not absent.
	if m := in.Metadata; m != nil {
		if m.HTTPTokens != "" && m.HTTPTokens != "optional" && m.HTTPTokens != "required" {
			return invalidParam("instanceMetadataOptions.httpTokens", "httpTokens must be optional or required")
		}
		if m.HopLimit != nil && (*m.HopLimit < 1 || *m.HopLimit > 64) {
			return invalidParam("instanceMetadataOptions.httpPutResponseHopLimit", "httpPutResponseHopLimit must be between 1 and 64")
		}
	}
	// resourceTags: at most 30 entries, keys 1 to 128 characters, values at most 256
	// (API reference, InfrastructureConfigurationSummary resourceTags,
	// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_InfrastructureConfigurationSummary.html).
	if len(in.ResourceTags) > 30 {
		return invalidParam("resourceTags", "resourceTags holds at most 30 tags")
	}
	for k, v := range in.ResourceTags {
		if len(k) < 1 || len(k) > 128 || len(v) > 256 {
			return invalidParam("resourceTags", "resourceTags keys are 1 to 128 characters and values at most 256")
		}
	}
	for _, f := range []string{"description", "subnetId", "keyPair"} {
		if err := checkOptional(c.raw, f, 1024); err != nil {
			return err
		}
	}
	return nil
}

var instanceTypeRE = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)

func pick(raw map[string]any, fields []string) map[string]any {
	doc := map[string]any{}
	for _, k := range fields {
		if v, ok := raw[k]; ok {
			doc[k] = v
		}
	}
	return doc
}

func createInfra(c *call) (map[string]any, *restjson.Error) {
	name, _ := c.raw["name"].(string)
	if err := checkName(name); err != nil {
		return nil, err
	}
	if err := validateInfra(c); err != nil {
		return nil, err
	}
	tags, err := checkTags("tags", c.raw["tags"])
	if err != nil {
		return nil, err
	}
	arn := resourceARN(c.Region, c.Account, "infrastructure-configuration", name)
	if _, ok := c.rg.infras[arn]; ok {
		return nil, alreadyExists("InfrastructureConfiguration", arn)
	}
	c.rg.infras[arn] = &config{arn: arn, name: name, doc: pick(c.raw, infraFields), tags: tags, created: c.now}
	return map[string]any{"infrastructureConfigurationArn": arn}, nil
}

func findConfig(c *call, m map[string]*config, kind, param, arn string) (*config, *restjson.Error) {
	p, ok := parseARN(arn)
	if !ok || p.kind != kind || p.version != "" {
		return nil, invalidParam(param, "%s must be an ARN of the form arn:aws:imagebuilder:<region>:<account>:%s/<name>", param, kind)
	}
	cf, ok := m[arn]
	if !ok {
		return nil, notFound("The resource ARN '%s' does not exist.", arn)
	}
	return cf, nil
}

func getInfra(c *call) (map[string]any, *restjson.Error) {
	cf, err := findConfig(c, c.rg.infras, "infrastructure-configuration", "infrastructureConfigurationArn", c.HTTP.URL.Query().Get("infrastructureConfigurationArn"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"infrastructureConfiguration": cf.full()}, nil
}

func updateInfra(c *call) (map[string]any, *restjson.Error) {
	arn, _ := c.raw["infrastructureConfigurationArn"].(string)
	cf, err := findConfig(c, c.rg.infras, "infrastructure-configuration", "infrastructureConfigurationArn", arn)
	if err != nil {
		return nil, err
	}
	if err := validateInfra(c); err != nil {
		return nil, err
	}
	cf.doc = pick(c.raw, infraFields)
	cf.updated = c.now
	return map[string]any{"infrastructureConfigurationArn": arn}, nil
}

func listInfras(c *call) (map[string]any, *restjson.Error) {
	fs, err := filters(c, "name")
	if err != nil {
		return nil, err
	}
	var items []*config
	for _, k := range slices.Sorted(maps.Keys(c.rg.infras)) {
		if cf := c.rg.infras[k]; match(fs, "name", cf.name) {
			items = append(items, cf)
		}
	}
	return page(c, items, "infrastructureConfigurationSummaryList", func(cf *config) map[string]any {
		out := map[string]any{"arn": cf.arn, "name": cf.name, "dateCreated": timeString(cf.created), "tags": tagsOrEmpty(cf.tags)}
		if !cf.updated.IsZero() {
			out["dateUpdated"] = timeString(cf.updated)
		}
		for _, k := range []string{"description", "resourceTags", "instanceTypes", "instanceProfileName", "placement"} {
			if v, ok := cf.doc[k]; ok {
				out[k] = v
			}
		}
		return out
	})
}

func deleteConfig(c *call, m map[string]*config, kind, param string, used func(*pipeline) string) (map[string]any, *restjson.Error) {
	arn := c.HTTP.URL.Query().Get(param)
	if _, err := findConfig(c, m, kind, param, arn); err != nil {
		return nil, err
	}
	var users []string
	for _, k := range slices.Sorted(maps.Keys(c.rg.pipelines)) {
		if pl := c.rg.pipelines[k]; used(pl) == arn {
			users = append(users, pl.arn)
		}
	}
	if len(users) > 0 {
		return nil, dependency(arn, users)
	}
	delete(m, arn)
	return map[string]any{param: arn}, nil
}

func deleteInfra(c *call) (map[string]any, *restjson.Error) {
	return deleteConfig(c, c.rg.infras, "infrastructure-configuration", "infrastructureConfigurationArn",
		func(p *pipeline) string { return p.infraArn })
}

// Distribution configurations.

// distribution is one region's entry of a distribution configuration.
type distribution struct {
	Region string `json:"region"`
	AMI    *struct {
		Name             string            `json:"name"`
		Description      string            `json:"description"`
		TargetAccountIDs []string          `json:"targetAccountIds"`
		AmiTags          map[string]string `json:"amiTags"`
		KmsKeyID         *string           `json:"kmsKeyId"`
		LaunchPermission *struct {
			UserIDs                []string `json:"userIds"`
			UserGroups             []string `json:"userGroups"`
			OrganizationArns       []string `json:"organizationArns"`
			OrganizationalUnitArns []string `json:"organizationalUnitArns"`
		} `json:"launchPermission"`
	} `json:"amiDistributionConfiguration"`
	FastLaunch []struct {
		Enabled  bool `json:"enabled"`
		Snapshot *struct {
			TargetResourceCount int32 `json:"targetResourceCount"`
		} `json:"snapshotConfiguration"`
		MaxParallelLaunches int32 `json:"maxParallelLaunches"`
		LaunchTemplate      *struct {
			ID      string `json:"launchTemplateId"`
			Name    string `json:"launchTemplateName"`
			Version string `json:"launchTemplateVersion"`
		} `json:"launchTemplate"`
		AccountID string `json:"accountId"`
	} `json:"fastLaunchConfigurations"`
	SSMParameters []struct {
		AmiAccountID  string `json:"amiAccountId"`
		ParameterName string `json:"parameterName"`
		DataType      string `json:"dataType"`
	} `json:"ssmParameterConfigurations"`
}

var regionRE = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$`)
var amiNameRE = regexp.MustCompile(`^[-_A-Za-z0-9{][-_A-Za-z0-9\s:{}\.]+[-_A-Za-z0-9}]$`)
var ssmNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.\-/]+$`)

func validateDistributions(c *call) ([]distribution, *restjson.Error) {
	var ds []distribution
	if err := decode(c.raw["distributions"], &ds); err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, invalidParam("distributions", "distributions must name at least one region")
	}
	seen := map[string]bool{}
	for i, d := range ds {
		field := fmt.Sprintf("distributions[%d]", i)
		if !regionRE.MatchString(d.Region) {
			return nil, invalidParam(field+".region", "%q is not an AWS Region", d.Region)
		}
		if seen[d.Region] {
			return nil, restjson.Errorf(http.StatusBadRequest, "InvalidParameterCombinationException", "The region %s appears in more than one distribution.", d.Region)
		}
		seen[d.Region] = true
		if d.AMI != nil && d.AMI.Name != "" && (len(d.AMI.Name) > 127 || !amiNameRE.MatchString(d.AMI.Name)) {
			return nil, invalidParam(field+".amiDistributionConfiguration.name", "the AMI name must be 1 to 127 characters matching ^[-_A-Za-z0-9{][-_A-Za-z0-9\\s:{}\\.]+[-_A-Za-z0-9}]$")
		}
		if err := checkAMIDistribution(field+".amiDistributionConfiguration", d); err != nil {
			return nil, err
		}
		for j, fl := range d.FastLaunch {
			if fl.LaunchTemplate != nil && fl.LaunchTemplate.ID != "" && fl.LaunchTemplate.Name != "" {
				return nil, restjson.Errorf(http.StatusBadRequest, "InvalidParameterCombinationException",
					"%s.fastLaunchConfigurations[%d].launchTemplate: specify launchTemplateId or launchTemplateName, not both.", field, j)
			}
			if fl.MaxParallelLaunches != 0 && fl.MaxParallelLaunches < 1 {
				return nil, invalidParam(field+".fastLaunchConfigurations.maxParallelLaunches", "maxParallelLaunches must be at least 1")
			}
		}
		for j, sp := range d.SSMParameters {
			if err := checkAmiAccountID(fmt.Sprintf("%s.ssmParameterConfigurations[%d].amiAccountId", field, j), d, sp.AmiAccountID); err != nil {
				return nil, err
			}
			if len(sp.ParameterName) < 1 || len(sp.ParameterName) > 1011 || !ssmNameRE.MatchString(sp.ParameterName) {
				return nil, invalidParam(field+".ssmParameterConfigurations.parameterName", "%q is not a valid parameter name", sp.ParameterName)
			}
			if sp.DataType != "" && sp.DataType != "text" && sp.DataType != "aws:ec2:image" {
				return nil, invalidParam(field+".ssmParameterConfigurations.dataType", "dataType must be text or aws:ec2:image")
			}
		}
	}
	return ds, nil
}

var accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)

// checkAMIDistribution applies the model's AmiDistributionConfiguration constraints (EC2
// Image Builder API Reference,
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_AmiDistributionConfiguration.html):
// targetAccountIds holds 1 to 1536 account ids (^[0-9]{12}$), kmsKeyId ("the Key ARN or the
// Alias ARN" of the key that encrypts the distributed image) is 1 to 1024 characters, amiTags
// 1 to 50 tags, description 1 to 1024 characters.
func checkAMIDistribution(field string, d distribution) *restjson.Error {
	if d.AMI == nil {
		return nil
	}
	if d.AMI.TargetAccountIDs != nil && (len(d.AMI.TargetAccountIDs) < 1 || len(d.AMI.TargetAccountIDs) > 1536) {
		return invalidParam(field+".targetAccountIds", "targetAccountIds must hold between 1 and 1536 account IDs")
	}
	for _, a := range d.AMI.TargetAccountIDs {
		if !accountIDRE.MatchString(a) {
			return invalidParam(field+".targetAccountIds", "%q is not an AWS account ID (12 digits, ^[0-9]{12}$)", a)
		}
	}
	if k := d.AMI.KmsKeyID; k != nil && (len(*k) < 1 || len(*k) > 1024) {
		return invalidParam(field+".kmsKeyId", "kmsKeyId must be between 1 and 1024 characters (a KMS key ARN or alias ARN)")
	}
	if d.AMI.AmiTags != nil && len(d.AMI.AmiTags) < 1 {
		return invalidParam(field+".amiTags", "amiTags must hold between 1 and 50 tags")
	}
	if _, err := checkTags(field+".amiTags", d.AMI.AmiTags); err != nil {
		return err
	}
	if len(d.AMI.Description) > 1024 {
		return invalidParam(field+".description", "description must be between 1 and 1024 characters")
	}
	return nil
}

// checkAmiAccountID: SsmParameterConfiguration.amiAccountId matches ^[0-9]{12}$ and "During
// distribution, this account must be specified in distribution settings as a target
// account for the Region" (API Reference,
// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_SsmParameterConfiguration.html).
// awsemu refuses an amiAccountId missing from the Region's targetAccountIds when the
// distribution configuration is written, not when a build distributes (DIFFERENCES.md): such
// a configuration can never distribute. An entry without amiAccountId is the owner's.
func checkAmiAccountID(field string, d distribution, account string) *restjson.Error {
	if account == "" {
		return nil
	}
	if !accountIDRE.MatchString(account) {
		return invalidParam(field, "%q is not an AWS account ID (12 digits, ^[0-9]{12}$)", account)
	}
	if d.AMI != nil {
		for _, a := range d.AMI.TargetAccountIDs {
			if a == account {
				return nil
			}
		}
	}
	return invalidParam(field, "the account %s must be one of the targetAccountIds of the amiDistributionConfiguration for %s", account, d.Region)
}

func distDoc(c *call) map[string]any {
	doc := pick(c.raw, []string{"description", "distributions"})
	doc["timeoutMinutes"] = 360
	return doc
}

func createDist(c *call) (map[string]any, *restjson.Error) {
	name, _ := c.raw["name"].(string)
	if err := checkName(name); err != nil {
		return nil, err
	}
	if err := checkOptional(c.raw, "description", 1024); err != nil {
		return nil, err
	}
	if _, err := validateDistributions(c); err != nil {
		return nil, err
	}
	tags, err := checkTags("tags", c.raw["tags"])
	if err != nil {
		return nil, err
	}
	arn := resourceARN(c.Region, c.Account, "distribution-configuration", name)
	if _, ok := c.rg.dists[arn]; ok {
		return nil, alreadyExists("DistributionConfiguration", arn)
	}
	c.rg.dists[arn] = &config{arn: arn, name: name, doc: distDoc(c), tags: tags, created: c.now}
	return map[string]any{"distributionConfigurationArn": arn}, nil
}

func getDist(c *call) (map[string]any, *restjson.Error) {
	cf, err := findConfig(c, c.rg.dists, "distribution-configuration", "distributionConfigurationArn", c.HTTP.URL.Query().Get("distributionConfigurationArn"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"distributionConfiguration": cf.full()}, nil
}

func updateDist(c *call) (map[string]any, *restjson.Error) {
	arn, _ := c.raw["distributionConfigurationArn"].(string)
	cf, err := findConfig(c, c.rg.dists, "distribution-configuration", "distributionConfigurationArn", arn)
	if err != nil {
		return nil, err
	}
	if err := checkOptional(c.raw, "description", 1024); err != nil {
		return nil, err
	}
	if _, err := validateDistributions(c); err != nil {
		return nil, err
	}
	cf.doc = distDoc(c)
	cf.updated = c.now
	return map[string]any{"distributionConfigurationArn": arn}, nil
}

func listDists(c *call) (map[string]any, *restjson.Error) {
	fs, err := filters(c, "name")
	if err != nil {
		return nil, err
	}
	var items []*config
	for _, k := range slices.Sorted(maps.Keys(c.rg.dists)) {
		if cf := c.rg.dists[k]; match(fs, "name", cf.name) {
			items = append(items, cf)
		}
	}
	return page(c, items, "distributionConfigurationSummaryList", func(cf *config) map[string]any {
		out := map[string]any{"arn": cf.arn, "name": cf.name, "dateCreated": timeString(cf.created), "tags": tagsOrEmpty(cf.tags)}
		if !cf.updated.IsZero() {
			out["dateUpdated"] = timeString(cf.updated)
		}
		if v, ok := cf.doc["description"]; ok {
			out["description"] = v
		}
		var ds []distribution
		_ = decode(cf.doc["distributions"], &ds)
		regions := []string{}
		for _, d := range ds {
			regions = append(regions, d.Region)
		}
		out["regions"] = regions
		return out
	})
}

func deleteDist(c *call) (map[string]any, *restjson.Error) {
	return deleteConfig(c, c.rg.dists, "distribution-configuration", "distributionConfigurationArn",
		func(p *pipeline) string { return p.distArn })
}
