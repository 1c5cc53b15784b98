package render

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"sigs.k8s.io/yaml"

	"github.com/winami/winami/component"
	winib "github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/spec"
)

// Template is a CloudFormation template.
type Template struct {
	AWSTemplateFormatVersion string              `json:"AWSTemplateFormatVersion"`
	Description              string              `json:"Description"`
	Resources                map[string]Resource `json:"Resources"`
	Outputs                  map[string]Output   `json:"Outputs"`
}

// Resource is one CloudFormation resource.
type Resource struct {
	Type       string   `json:"Type"`
	DependsOn  []string `json:"DependsOn,omitempty"`
	Properties any      `json:"Properties"`
}

// Output is one template output.
type Output struct {
	Description string `json:"Description"`
	Value       any    `json:"Value"`
}

// Ref is {"Ref": name}.
type Ref struct {
	Ref string `json:"Ref"`
}

// Sub is {"Fn::Sub": template}.
type Sub struct {
	Sub string `json:"Fn::Sub"`
}

// CFNTag is a Key/Value tag (IAM resources).
type CFNTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// GetAtt is {"Fn::GetAtt": [resource, attribute]}.
type GetAtt struct {
	GetAtt [2]string `json:"Fn::GetAtt"`
}

// IAMRole is AWS::IAM::Role's properties.
type IAMRole struct {
	RoleName                 string         `json:"RoleName,omitempty"`
	Description              string         `json:"Description"`
	AssumeRolePolicyDocument PolicyDocument `json:"AssumeRolePolicyDocument"`
	ManagedPolicyArns        []Sub          `json:"ManagedPolicyArns"`
	Policies                 []InlinePolicy `json:"Policies,omitempty"`
	Path                     string         `json:"Path"`
	Tags                     []CFNTag       `json:"Tags,omitempty"`
}

// InlinePolicy is an inline policy of an AWS::IAM::Role.
type InlinePolicy struct {
	PolicyName     string            `json:"PolicyName"`
	PolicyDocument CFNPolicyDocument `json:"PolicyDocument"`
}

// CFNPolicyDocument is a permissions policy whose resources may be Fn::Sub templates.
type CFNPolicyDocument struct {
	Version   string               `json:"Version"`
	Statement []CFNPolicyStatement `json:"Statement"`
}

// CFNPolicyStatement is one statement of a CFNPolicyDocument.
type CFNPolicyStatement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource []any    `json:"Resource"`
}

// PolicyDocument is an IAM policy document.
type PolicyDocument struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// PolicyStatement is one statement of a policy.
type PolicyStatement struct {
	Effect    string            `json:"Effect"`
	Principal map[string]string `json:"Principal"`
	Action    string            `json:"Action"`
}

// InstanceProfile is AWS::IAM::InstanceProfile's properties.
type InstanceProfile struct {
	InstanceProfileName string `json:"InstanceProfileName"`
	Path                string `json:"Path"`
	Roles               []Ref  `json:"Roles"`
}

// CFNComponent is AWS::ImageBuilder::Component's properties.
type CFNComponent struct {
	Name                string            `json:"Name"`
	Version             string            `json:"Version"`
	Platform            string            `json:"Platform"`
	Description         string            `json:"Description,omitempty"`
	ChangeDescription   string            `json:"ChangeDescription,omitempty"`
	SupportedOsVersions []string          `json:"SupportedOsVersions,omitempty"`
	Data                string            `json:"Data"`
	Tags                map[string]string `json:"Tags,omitempty"`
}

// CFNImageRecipe is AWS::ImageBuilder::ImageRecipe's properties.
type CFNImageRecipe struct {
	Name                string                  `json:"Name"`
	Version             string                  `json:"Version"`
	Description         string                  `json:"Description,omitempty"`
	ParentImage         string                  `json:"ParentImage"`
	Components          []CFNComponentConfig    `json:"Components"`
	BlockDeviceMappings []CFNBlockDeviceMapping `json:"BlockDeviceMappings"`
	Tags                map[string]string       `json:"Tags,omitempty"`
}

// CFNComponentConfig names a component of a recipe.
type CFNComponentConfig struct {
	ComponentArn any `json:"ComponentArn"`
}

// CFNBlockDeviceMapping is a recipe's block device mapping.
type CFNBlockDeviceMapping struct {
	DeviceName string `json:"DeviceName"`
	Ebs        CFNEbs `json:"Ebs"`
}

// CFNEbs is an EBS volume of a recipe (AWS::ImageBuilder::ImageRecipe
// EbsInstanceBlockDeviceSpecification).
type CFNEbs struct {
	VolumeSize          int    `json:"VolumeSize"`
	VolumeType          string `json:"VolumeType"`
	DeleteOnTermination bool   `json:"DeleteOnTermination"`
	Encrypted           *bool  `json:"Encrypted,omitempty"`
	KmsKeyId            string `json:"KmsKeyId,omitempty"`
}

// CFNInfrastructure is AWS::ImageBuilder::InfrastructureConfiguration's properties.
type CFNInfrastructure struct {
	Name                       string              `json:"Name"`
	Description                string              `json:"Description,omitempty"`
	InstanceProfileName        Ref                 `json:"InstanceProfileName"`
	InstanceTypes              []string            `json:"InstanceTypes"`
	SubnetId                   string              `json:"SubnetId,omitempty"`
	SecurityGroupIds           []string            `json:"SecurityGroupIds,omitempty"`
	KeyPair                    string              `json:"KeyPair,omitempty"`
	TerminateInstanceOnFailure bool                `json:"TerminateInstanceOnFailure"`
	InstanceMetadataOptions    CFNInstanceMetadata `json:"InstanceMetadataOptions"`
	Logging                    *CFNLogging         `json:"Logging,omitempty"`
	// SnsTopicArn is the topic's ARN, or a Ref to the template's NotificationTopic.
	SnsTopicArn  any               `json:"SnsTopicArn,omitempty"`
	ResourceTags map[string]string `json:"ResourceTags,omitempty"`
	Tags         map[string]string `json:"Tags,omitempty"`
}

// CFNLogging is an infrastructure configuration's Logging.
type CFNLogging struct {
	S3Logs CFNS3Logs `json:"S3Logs"`
}

// CFNS3Logs is where Image Builder writes the build's logs.
type CFNS3Logs struct {
	S3BucketName string `json:"S3BucketName"`
	S3KeyPrefix  string `json:"S3KeyPrefix,omitempty"`
}

// SNSTopic is AWS::SNS::Topic's properties.
type SNSTopic struct {
	Tags []CFNTag `json:"Tags,omitempty"`
}

// CFNInstanceMetadata is the build instance's IMDS settings.
type CFNInstanceMetadata struct {
	HttpTokens              string `json:"HttpTokens"`
	HttpPutResponseHopLimit int    `json:"HttpPutResponseHopLimit"`
}

// CFNDistributionConfiguration is AWS::ImageBuilder::DistributionConfiguration's properties.
type CFNDistributionConfiguration struct {
	Name          string            `json:"Name"`
	Description   string            `json:"Description,omitempty"`
	Distributions []CFNDistribution `json:"Distributions"`
	Tags          map[string]string `json:"Tags,omitempty"`
}

// CFNDistribution is one region's distribution.
type CFNDistribution struct {
	Region                       string                  `json:"Region"`
	AmiDistributionConfiguration CFNAMIDistribution      `json:"AmiDistributionConfiguration"`
	FastLaunchConfigurations     []CFNFastLaunch         `json:"FastLaunchConfigurations,omitempty"`
	SsmParameterConfigurations   []CFNSSMParameterConfig `json:"SsmParameterConfigurations,omitempty"`
}

// CFNAMIDistribution names, tags and shares the AMI.
type CFNAMIDistribution struct {
	Name                          string               `json:"Name"`
	Description                   string               `json:"Description,omitempty"`
	AmiTags                       map[string]string    `json:"AmiTags,omitempty"`
	KmsKeyId                      string               `json:"KmsKeyId,omitempty"`
	TargetAccountIds              []string             `json:"TargetAccountIds,omitempty"`
	LaunchPermissionConfiguration *CFNLaunchPermission `json:"LaunchPermissionConfiguration,omitempty"`
}

// CFNLaunchPermission shares the AMI with accounts and organizations.
type CFNLaunchPermission struct {
	UserIds          []string `json:"UserIds,omitempty"`
	OrganizationArns []string `json:"OrganizationArns,omitempty"`
}

// CFNFastLaunch is a Fast Launch configuration.
type CFNFastLaunch struct {
	Enabled               bool                   `json:"Enabled"`
	MaxParallelLaunches   int                    `json:"MaxParallelLaunches"`
	SnapshotConfiguration CFNFastLaunchSnapshots `json:"SnapshotConfiguration"`
	LaunchTemplate        *CFNFastLaunchTemplate `json:"LaunchTemplate,omitempty"`
}

// CFNFastLaunchSnapshots is the number of pre-provisioned snapshots.
type CFNFastLaunchSnapshots struct {
	TargetResourceCount int `json:"TargetResourceCount"`
}

// CFNFastLaunchTemplate names the launch template Fast Launch uses.
type CFNFastLaunchTemplate struct {
	LaunchTemplateId      string `json:"LaunchTemplateId,omitempty"`
	LaunchTemplateName    string `json:"LaunchTemplateName,omitempty"`
	LaunchTemplateVersion string `json:"LaunchTemplateVersion,omitempty"`
}

// CFNSSMParameterConfig publishes the AMI id to an SSM parameter.
type CFNSSMParameterConfig struct {
	AmiAccountId  string `json:"AmiAccountId,omitempty"`
	ParameterName string `json:"ParameterName"`
	DataType      string `json:"DataType"`
}

// CFNImagePipeline is AWS::ImageBuilder::ImagePipeline's properties.
type CFNImagePipeline struct {
	Name                           string            `json:"Name"`
	Description                    string            `json:"Description,omitempty"`
	ImageRecipeArn                 Ref               `json:"ImageRecipeArn"`
	InfrastructureConfigurationArn Ref               `json:"InfrastructureConfigurationArn"`
	DistributionConfigurationArn   Ref               `json:"DistributionConfigurationArn"`
	ExecutionRole                  *GetAtt           `json:"ExecutionRole,omitempty"`
	Status                         string            `json:"Status"`
	EnhancedImageMetadataEnabled   bool              `json:"EnhancedImageMetadataEnabled"`
	ImageTestsConfiguration        CFNImageTests     `json:"ImageTestsConfiguration"`
	ImageScanningConfiguration     *CFNImageScanning `json:"ImageScanningConfiguration,omitempty"`
	Tags                           map[string]string `json:"Tags,omitempty"`
}

// CFNImageScanning turns on Amazon Inspector scanning of the pipeline's images.
type CFNImageScanning struct {
	ImageScanningEnabled bool `json:"ImageScanningEnabled"`
}

// CFNImageTests configures the image tests.
type CFNImageTests struct {
	ImageTestsEnabled bool `json:"ImageTestsEnabled"`
	TimeoutMinutes    int  `json:"TimeoutMinutes"`
}

// Managed IAM policies of the build role.
var (
	BuildPolicies = []string{"EC2InstanceProfileForImageBuilder", "AmazonSSMManagedInstanceCore"}
	ECRPolicy     = "AmazonEC2ContainerRegistryReadOnly"
)

// usesECR tells whether any cached image is in an ECR private registry.
func usesECR(img *spec.WindowsImage) bool {
	for _, ref := range img.Images() {
		full, err := component.Normalize(ref)
		if err != nil {
			continue
		}
		if _, _, ok := component.ParseECR(strings.SplitN(full, "/", 2)[0]); ok {
			return true
		}
	}
	return false
}

func logicalID(i int) string {
	if i == 0 {
		return "ImageCacheComponent"
	}
	return fmt.Sprintf("ImageCacheComponent%d", i+1)
}

// CloudFormation returns the template that creates r's resources plus the build role
// and instance profile, and the pipeline's execution role when the spec names one.
func (r *Resources) CloudFormation() *Template {
	img := r.Spec
	s := img.Spec
	t := &Template{
		AWSTemplateFormatVersion: "2010-09-09",
		Description:              fmt.Sprintf("EC2 Image Builder resources for %s: Windows Server %s %s for EKS %s (rendered by winami)", img.Metadata.Name, s.Windows.Version, s.Windows.Edition, s.KubernetesVersion),
		Resources:                map[string]Resource{},
		Outputs:                  map[string]Output{},
	}
	policies := append([]string(nil), BuildPolicies...)
	if usesECR(img) {
		policies = append(policies, ECRPolicy)
	}
	var arns []Sub
	for _, p := range policies {
		arns = append(arns, Sub{"arn:${AWS::Partition}:iam::aws:policy/" + p})
	}
	// The role is named as the instance profile, as apply --create-instance-profile names
	// it: the operator's iam:PassRole (winami iam-policy, doctor) names role/<profile>, which
	// a name CloudFormation makes up (<stack>-BuildRole-<suffix>) would never match.
	t.Resources["BuildRole"] = Resource{Type: "AWS::IAM::Role", Properties: IAMRole{
		RoleName:    s.Build.InstanceProfile,
		Description: "Role of the EC2 Image Builder build instances of " + img.Metadata.Name,
		AssumeRolePolicyDocument: PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{{
			Effect: "Allow", Principal: map[string]string{"Service": "ec2.amazonaws.com"}, Action: "sts:AssumeRole",
		}}},
		ManagedPolicyArns: arns,
		Path:              "/",
		Tags:              cfnTags(tags(img)),
	}}
	t.Resources["InstanceProfile"] = Resource{Type: "AWS::IAM::InstanceProfile", Properties: InstanceProfile{
		InstanceProfileName: s.Build.InstanceProfile, Path: "/", Roles: []Ref{{"BuildRole"}},
	}}

	var comps []CFNComponentConfig
	for _, arn := range r.ManagedComponents {
		comps = append(comps, CFNComponentConfig{ComponentArn: Sub{managedSub(arn)}})
	}
	for i, c := range r.Components {
		in := c.Input
		t.Resources[logicalID(i)] = Resource{Type: "AWS::ImageBuilder::Component", Properties: CFNComponent{
			Name: *in.Name, Version: *in.SemanticVersion, Platform: string(in.Platform),
			Description: aws.ToString(in.Description), ChangeDescription: aws.ToString(in.ChangeDescription),
			SupportedOsVersions: in.SupportedOsVersions, Data: *in.Data, Tags: in.Tags,
		}}
		comps = append(comps, CFNComponentConfig{ComponentArn: Ref{logicalID(i)}})
	}
	rec := r.ImageRecipe
	ebs := rec.BlockDeviceMappings[0]
	t.Resources["ImageRecipe"] = Resource{Type: "AWS::ImageBuilder::ImageRecipe", Properties: CFNImageRecipe{
		Name: *rec.Name, Version: *rec.SemanticVersion, Description: aws.ToString(rec.Description),
		ParentImage: *rec.ParentImage, Components: comps,
		BlockDeviceMappings: []CFNBlockDeviceMapping{{DeviceName: *ebs.DeviceName, Ebs: CFNEbs{
			VolumeSize: int(*ebs.Ebs.VolumeSize), VolumeType: string(ebs.Ebs.VolumeType), DeleteOnTermination: *ebs.Ebs.DeleteOnTermination,
			Encrypted: ebs.Ebs.Encrypted, KmsKeyId: aws.ToString(ebs.Ebs.KmsKeyId),
		}}},
		Tags: rec.Tags,
	}}
	inf := r.InfrastructureConfiguration
	var logging *CFNLogging
	if l := inf.Logging; l != nil && l.S3Logs != nil {
		logging = &CFNLogging{S3Logs: CFNS3Logs{S3BucketName: aws.ToString(l.S3Logs.S3BucketName), S3KeyPrefix: aws.ToString(l.S3Logs.S3KeyPrefix)}}
	}
	var topic any
	if inf.SnsTopicArn != nil {
		topic = *inf.SnsTopicArn
	}
	if r.CreateSNSTopic {
		// The topic's Ref is its ARN (CloudFormation Template Reference, AWS::SNS::Topic,
		// Return values). No TopicName: CloudFormation's generated name has letters, digits
		// and '-' only, which Image Builder's snsTopicArn pattern admits; no KmsMasterKeyId:
		// a topic encrypted with the AWS managed key aws/sns cannot be published to by a
		// service role, and Image Builder needs kms:GenerateDataKey on a customer key's
		// policy ("Amazon SNS integration in Image Builder", Encrypted SNS Topics).
		t.Resources["NotificationTopic"] = Resource{Type: "AWS::SNS::Topic", Properties: SNSTopic{Tags: cfnTags(tags(img))}}
		t.Outputs["NotificationTopicArn"] = Output{Description: "The SNS topic Image Builder notifies when a build ends", Value: Ref{"NotificationTopic"}}
		topic = Ref{"NotificationTopic"}
	}
	t.Resources["InfrastructureConfiguration"] = Resource{Type: "AWS::ImageBuilder::InfrastructureConfiguration", Properties: CFNInfrastructure{
		Name: *inf.Name, Description: aws.ToString(inf.Description), InstanceProfileName: Ref{"InstanceProfile"},
		InstanceTypes: inf.InstanceTypes, SubnetId: aws.ToString(inf.SubnetId), SecurityGroupIds: inf.SecurityGroupIds,
		KeyPair: aws.ToString(inf.KeyPair), TerminateInstanceOnFailure: aws.ToBool(inf.TerminateInstanceOnFailure),
		InstanceMetadataOptions: CFNInstanceMetadata{
			HttpTokens: aws.ToString(inf.InstanceMetadataOptions.HttpTokens), HttpPutResponseHopLimit: int(aws.ToInt32(inf.InstanceMetadataOptions.HttpPutResponseHopLimit)),
		},
		Logging:      logging,
		SnsTopicArn:  topic,
		ResourceTags: inf.ResourceTags,
		Tags:         inf.Tags,
	}}
	dc := r.DistributionConfiguration
	cd := CFNDistributionConfiguration{Name: *dc.Name, Description: aws.ToString(dc.Description), Tags: dc.Tags}
	for _, d := range dc.Distributions {
		a := d.AmiDistributionConfiguration
		x := CFNDistribution{Region: *d.Region, AmiDistributionConfiguration: CFNAMIDistribution{
			Name: *a.Name, Description: aws.ToString(a.Description), AmiTags: a.AmiTags,
			KmsKeyId: aws.ToString(a.KmsKeyId), TargetAccountIds: a.TargetAccountIds,
		}}
		if lp := a.LaunchPermission; lp != nil {
			x.AmiDistributionConfiguration.LaunchPermissionConfiguration = &CFNLaunchPermission{UserIds: lp.UserIds, OrganizationArns: lp.OrganizationArns}
		}
		for _, f := range d.FastLaunchConfigurations {
			fl := CFNFastLaunch{Enabled: f.Enabled, MaxParallelLaunches: int(aws.ToInt32(f.MaxParallelLaunches)),
				SnapshotConfiguration: CFNFastLaunchSnapshots{TargetResourceCount: int(aws.ToInt32(f.SnapshotConfiguration.TargetResourceCount))}}
			if lt := f.LaunchTemplate; lt != nil {
				fl.LaunchTemplate = &CFNFastLaunchTemplate{LaunchTemplateId: aws.ToString(lt.LaunchTemplateId), LaunchTemplateName: aws.ToString(lt.LaunchTemplateName), LaunchTemplateVersion: aws.ToString(lt.LaunchTemplateVersion)}
			}
			x.FastLaunchConfigurations = append(x.FastLaunchConfigurations, fl)
		}
		for _, p := range d.SsmParameterConfigurations {
			x.SsmParameterConfigurations = append(x.SsmParameterConfigurations, CFNSSMParameterConfig{AmiAccountId: aws.ToString(p.AmiAccountId), ParameterName: *p.ParameterName, DataType: string(p.DataType)})
		}
		cd.Distributions = append(cd.Distributions, x)
	}
	t.Resources["DistributionConfiguration"] = Resource{Type: "AWS::ImageBuilder::DistributionConfiguration", Properties: cd}
	p := r.ImagePipeline
	var execRole *GetAtt
	if e := r.ExecutionRole; e != nil {
		t.Resources["ExecutionRole"] = Resource{Type: "AWS::IAM::Role", Properties: r.cfnExecutionRole()}
		execRole = &GetAtt{[2]string{"ExecutionRole", "Arn"}}
		t.Outputs["ExecutionRoleArn"] = Output{Description: "The role Image Builder assumes to run the pipeline", Value: execRole}
	}
	var scanning *CFNImageScanning
	if sc := p.ImageScanningConfiguration; sc != nil {
		scanning = &CFNImageScanning{ImageScanningEnabled: aws.ToBool(sc.ImageScanningEnabled)}
	}
	t.Resources["ImagePipeline"] = Resource{Type: "AWS::ImageBuilder::ImagePipeline", Properties: CFNImagePipeline{
		ExecutionRole: execRole,
		Name:          *p.Name, Description: aws.ToString(p.Description),
		ImageRecipeArn: Ref{"ImageRecipe"}, InfrastructureConfigurationArn: Ref{"InfrastructureConfiguration"}, DistributionConfigurationArn: Ref{"DistributionConfiguration"},
		Status: string(p.Status), EnhancedImageMetadataEnabled: aws.ToBool(p.EnhancedImageMetadataEnabled),
		ImageTestsConfiguration:    CFNImageTests{ImageTestsEnabled: aws.ToBool(p.ImageTestsConfiguration.ImageTestsEnabled), TimeoutMinutes: int(aws.ToInt32(p.ImageTestsConfiguration.TimeoutMinutes))},
		ImageScanningConfiguration: scanning,
		Tags:                       p.Tags,
	}}
	t.Outputs["ImagePipelineArn"] = Output{Description: "The image pipeline that winami build starts", Value: Ref{"ImagePipeline"}}
	t.Outputs["ImageRecipeArn"] = Output{Description: "The image recipe", Value: Ref{"ImageRecipe"}}
	t.Outputs["InstanceProfileName"] = Output{Description: "The build instances' instance profile", Value: Ref{"InstanceProfile"}}
	return t
}

// cfnExecutionRole is the execution role as an AWS::IAM::Role: the same trust, managed
// policies and inline policy as the CLI requests, in the stack's partition and account.
func (r *Resources) cfnExecutionRole() IAMRole {
	img, e := r.Spec, r.ExecutionRole
	const part = "${AWS::Partition}"
	role := IAMRole{
		RoleName:    e.Name,
		Description: executionRoleDescription(img),
		AssumeRolePolicyDocument: PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{{
			Effect: "Allow", Principal: map[string]string{"Service": winib.ImageBuilderPrincipal}, Action: "sts:AssumeRole",
		}}},
		Path: e.Path,
		Tags: cfnTags(tags(img)),
	}
	for _, arn := range winib.ExecutionRolePolicies(part, r.DistributionConfiguration.Distributions) {
		role.ManagedPolicyArns = append(role.ManagedPolicyArns, Sub{arn})
	}
	if p := img.DistributedParameter(); p != "" {
		doc := winib.PublishParameterPolicy(part, "${AWS::AccountId}", p, img.Spec.Distribution.Regions)
		cd := CFNPolicyDocument{Version: doc.Version}
		for _, st := range doc.Statement {
			cs := CFNPolicyStatement{Sid: st.Sid, Effect: st.Effect, Action: st.Action}
			for _, res := range st.Resource {
				if strings.Contains(res, "${") {
					cs.Resource = append(cs.Resource, Sub{res})
				} else {
					cs.Resource = append(cs.Resource, res)
				}
			}
			cd.Statement = append(cd.Statement, cs)
		}
		role.Policies = []InlinePolicy{{PolicyName: winib.ExecutionRolePolicyName, PolicyDocument: cd}}
	}
	return role
}

// managedSub turns a managed component ARN into a Fn::Sub template that works in any
// partition and region.
func managedSub(arn string) string {
	// arn:<partition>:imagebuilder:<region>:aws:component/<name>/<version>
	parts := strings.SplitN(arn, ":", 6)
	return "arn:${AWS::Partition}:imagebuilder:${AWS::Region}:aws:" + parts[5]
}

func cfnTags(m map[string]string) []CFNTag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]CFNTag, len(keys))
	for i, k := range keys {
		out[i] = CFNTag{Key: k, Value: m[k]}
	}
	return out
}

// YAML writes the template.
func (t *Template) YAML() ([]byte, error) {
	b, err := yaml.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("encoding the CloudFormation template: %w", err)
	}
	return b, nil
}
