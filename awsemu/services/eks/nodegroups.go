package eks

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/restjson"
	"github.com/winami/winami/awsemu/world"
)

// Node group timings on the server's clock.
const (
	// NodegroupCreateTimeout is how long a CREATING node group waits for its Auto Scaling
	// group to have the desired instances InService before it turns CREATE_FAILED
	// (NodeCreationFailure). awsemu's choice: EKS publishes no number.
	NodegroupCreateTimeout = 20 * time.Minute
	// ConfigUpdateDuration is how long an UpdateNodegroupConfig update stays InProgress
	// (the node group UPDATING) before it turns Successful.
	ConfigUpdateDuration = 30 * time.Second
)

// MaxNodesPerNodegroup is EKS's quota of nodes per managed node group: scalingConfig's
// maxSize cannot exceed it.
// https://docs.aws.amazon.com/eks/latest/userguide/service-quotas.html
const MaxNodesPerNodegroup = 450

// Node group statuses (NodegroupStatus) and update statuses (UpdateStatus).
// https://docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html
// https://docs.aws.amazon.com/eks/latest/APIReference/API_Update.html
const (
	statusCreating     = "CREATING"
	statusActive       = "ACTIVE"
	statusUpdating     = "UPDATING"
	statusDeleting     = "DELETING"
	statusCreateFailed = "CREATE_FAILED"

	updateInProgress = "InProgress"
	updateSuccessful = "Successful"
	updateFailed     = "Failed"
)

type scaling struct {
	Min, Max, Desired int64
}

type taint struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Effect string `json:"effect"`
}

type updateConfig struct {
	MaxUnavailable           int64  `json:"maxUnavailable,omitempty"`
	MaxUnavailablePercentage int64  `json:"maxUnavailablePercentage,omitempty"`
	UpdateStrategy           string `json:"updateStrategy,omitempty"`
}

type issue struct {
	Code        string   `json:"code"`
	Message     string   `json:"message"`
	ResourceIDs []string `json:"resourceIds,omitempty"`
}

type updateParam struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type errorDetail struct {
	ErrorCode    string   `json:"errorCode"`
	ErrorMessage string   `json:"errorMessage"`
	ResourceIDs  []string `json:"resourceIds,omitempty"`
}

// update is one node group update (UpdateNodegroupConfig or UpdateNodegroupVersion).
type update struct {
	ID        string
	Type      string // ConfigUpdate, VersionUpdate
	Status    string
	Params    []updateParam
	CreatedAt time.Time
	Errors    []errorDetail
	token     string

	doneAt     time.Time // ConfigUpdate: when it turns Successful
	refreshID  string    // VersionUpdate: the Auto Scaling group's hidden refresh
	oldVersion string    // VersionUpdate: the template version before (restored on failure)
	newVersion string
	newImage   string
	newRelease string // the node group's releaseVersion once Successful
}

// nodegroup is a managed node group.
type nodegroup struct {
	Name, Cluster, Region, Account string
	uuid                           string
	CreatedAt, ModifiedAt          time.Time
	Status                         string
	createDeadline                 time.Time
	// joinDeadline is when the instances Auto Scaling first launched for the node group
	// must have joined: NodegroupCreateTimeout after the tick that first saw them.
	joinDeadline            time.Time
	Version, ReleaseVersion string
	AmiType, CapacityType   string
	Scaling                 scaling
	Subnets                 []string
	NodeRole                string
	Labels                  map[string]string
	Taints                  []taint
	Tags                    map[string]string
	UpdateConfig            updateConfig
	NodeRepairConfig        map[string]any
	LTID, LTName, LTVersion string
	// ownLT: the template is EKS's own (a node group created without one, on an
	// EKS-optimized AMI); then instanceTypes, diskSize and remoteAccess are the node group's.
	ownLT         bool
	InstanceTypes []string
	DiskSize      int64
	RemoteAccess  map[string]any
	ASG           string
	Issues        []issue
	updates       []*update
	token         string
}

func (ng *nodegroup) arn() string {
	return fmt.Sprintf("arn:%s:eks:%s:%s:nodegroup/%s/%s/%s", world.Partition(ng.Region), ng.Region, ng.Account, ng.Cluster, ng.Name, ng.uuid)
}

// current is the update in progress, nil when none.
func (ng *nodegroup) current() *update {
	for _, u := range ng.updates {
		if u.Status == updateInProgress {
			return u
		}
	}
	return nil
}

func ngKey(region, cluster, name string) string { return region + "/" + cluster + "/" + name }

// uuidFrom derives a UUID-shaped id from seed (EKS's node group ids and update ids are
// UUIDs; awsemu makes them deterministic).
func uuidFrom(seed string) string {
	h := sha256.Sum256([]byte(seed))
	x := fmt.Sprintf("%x", h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

func (s *Service) nextSeed(parts ...string) string {
	s.seq++
	return strings.Join(parts, "/") + "/" + strconv.FormatUint(s.seq, 10) + "/" + s.srv.Clock.Now().Format(time.RFC3339Nano)
}

// json renders a node group as the Nodegroup shape. Launch template node groups have no
// instanceTypes, diskSize or remoteAccess (the API reference: "If the node group was
// deployed with a launch template, then this is null"); node groups made without one have
// no launchTemplate ("If a launch template was used to create the node group, then this is
// the launch template that was used").
// https://docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html
func (ng *nodegroup) json() map[string]any {
	issues := make([]issue, 0, len(ng.Issues))
	issues = append(issues, ng.Issues...)
	labels := ng.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	tags := ng.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	out := map[string]any{
		"nodegroupName":  ng.Name,
		"nodegroupArn":   ng.arn(),
		"clusterName":    ng.Cluster,
		"version":        ng.Version,
		"releaseVersion": ng.ReleaseVersion,
		"createdAt":      restjson.EpochSeconds(ng.CreatedAt),
		"modifiedAt":     restjson.EpochSeconds(ng.ModifiedAt),
		"status":         ng.Status,
		"capacityType":   ng.CapacityType,
		"scalingConfig":  map[string]any{"minSize": ng.Scaling.Min, "maxSize": ng.Scaling.Max, "desiredSize": ng.Scaling.Desired},
		"subnets":        ng.Subnets,
		"amiType":        ng.AmiType,
		"nodeRole":       ng.NodeRole,
		"labels":         labels,
		"health":         map[string]any{"issues": issues},
		"updateConfig":   ng.UpdateConfig,
		"tags":           tags,
	}
	if ng.ownLT {
		out["instanceTypes"], out["diskSize"] = ng.InstanceTypes, ng.DiskSize
		if ng.RemoteAccess != nil {
			out["remoteAccess"] = ng.RemoteAccess
		}
	} else {
		out["launchTemplate"] = map[string]any{"id": ng.LTID, "name": ng.LTName, "version": ng.LTVersion}
	}
	if len(ng.Taints) > 0 {
		out["taints"] = ng.Taints
	}
	if ng.NodeRepairConfig != nil {
		out["nodeRepairConfig"] = ng.NodeRepairConfig
	}
	if ng.ASG != "" {
		out["resources"] = map[string]any{"autoScalingGroups": []any{map[string]any{"name": ng.ASG}}}
	}
	return out
}

func (u *update) json() map[string]any {
	params := u.Params
	if params == nil {
		params = []updateParam{}
	}
	errs := u.Errors
	if errs == nil {
		errs = []errorDetail{}
	}
	return map[string]any{"id": u.ID, "status": u.Status, "type": u.Type, "params": params,
		"createdAt": restjson.EpochSeconds(u.CreatedAt), "errors": errs}
}

// ngError is an EKS error naming the cluster and node group, as EKS's exceptions carry
// them (clusterName, nodegroupName members of every EKS exception shape).
func ngError(status int, code, cluster, nodegroup, format string, args ...any) *restjson.Error {
	f := map[string]any{}
	if cluster != "" {
		f["clusterName"] = cluster
	}
	if nodegroup != "" {
		f["nodegroupName"] = nodegroup
	}
	return &restjson.Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...), Fields: f}
}

func invalidParam(cluster, ng, format string, args ...any) *restjson.Error {
	return ngError(http.StatusBadRequest, "InvalidParameterException", cluster, ng, format, args...)
}

// clusterNotFound is EKS's answer for an unknown cluster ("No cluster found for name: X.",
// the message moto took from EKS's responses).
func clusterNotFound(name string) *restjson.Error {
	return &restjson.Error{Status: http.StatusNotFound, Code: "ResourceNotFoundException",
		Message: fmt.Sprintf("No cluster found for name: %s.", name), Fields: map[string]any{"clusterName": name}}
}

// nodegroupNotFound is EKS's answer for an unknown node group ("No node group found for
// name: X.", as moto took it from EKS).
func nodegroupNotFound(cluster, name string) *restjson.Error {
	return ngError(http.StatusNotFound, "ResourceNotFoundException", cluster, name, "No node group found for name: %s.", name)
}

// notActive is EKS's answer to an update of a node group that is not ACTIVE (an update
// in progress, CREATING, DELETING): ResourceInUseException (409) "Nodegroup cannot be
// updated as it is currently not in Active State", as EKS answered it in
// https://github.com/aws/karpenter-provider-aws/issues/133.
func notActive(cluster, name string) *restjson.Error {
	return ngError(http.StatusConflict, "ResourceInUseException", cluster, name, "Nodegroup cannot be updated as it is currently not in Active State")
}

// nodegroupNameRE: "The node group name can't be longer than 63 characters. It must start
// with letter or digit, but can also include hyphens and underscores for the remaining
// characters." https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html
var nodegroupNameRE = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]{0,62}$`)

// roleARNRE is an IAM role ARN (nodeRole).
var roleARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$`)

// Enumerations of the API reference.
// https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html
var (
	capacityTypes   = []string{"ON_DEMAND", "SPOT", "CAPACITY_BLOCK"}
	taintEffects    = []string{"NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"}
	updateStrategys = []string{"DEFAULT", "MINIMAL"}
)

func oneOf(v string, set []string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

type scalingIn struct {
	MinSize     *int64 `json:"minSize"`
	MaxSize     *int64 `json:"maxSize"`
	DesiredSize *int64 `json:"desiredSize"`
}

type ltIn struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Version string `json:"version"`
}

type updateConfigIn struct {
	MaxUnavailable           *int64 `json:"maxUnavailable"`
	MaxUnavailablePercentage *int64 `json:"maxUnavailablePercentage"`
	UpdateStrategy           string `json:"updateStrategy"`
}

type createNodegroupIn struct {
	NodegroupName      string            `json:"nodegroupName"`
	ScalingConfig      *scalingIn        `json:"scalingConfig"`
	DiskSize           *int64            `json:"diskSize"`
	Subnets            []string          `json:"subnets"`
	InstanceTypes      []string          `json:"instanceTypes"`
	AmiType            string            `json:"amiType"`
	RemoteAccess       map[string]any    `json:"remoteAccess"`
	NodeRole           string            `json:"nodeRole"`
	Labels             map[string]string `json:"labels"`
	Taints             []taint           `json:"taints"`
	Tags               map[string]string `json:"tags"`
	ClientRequestToken string            `json:"clientRequestToken"`
	LaunchTemplate     *ltIn             `json:"launchTemplate"`
	UpdateConfig       *updateConfigIn   `json:"updateConfig"`
	NodeRepairConfig   map[string]any    `json:"nodeRepairConfig"`
	CapacityType       string            `json:"capacityType"`
	Version            string            `json:"version"`
	ReleaseVersion     string            `json:"releaseVersion"`
	WarmPoolConfig     map[string]any    `json:"warmPoolConfig"`
}

// checkScaling checks a node group's scaling configuration: minSize ≥ 0, maxSize ≥ 1
// (NodegroupScalingConfig's ZeroCapacity and Capacity shapes), maxSize within the quota,
// and minSize ≤ desiredSize ≤ maxSize. The messages are EKS's ("InvalidParameterException:
// Minimum capacity 3 can't be greater than desired size 2", as users quote it from
// terraform applies), with the wording the AWS CDK's Nodegroup checks copy:
// https://github.com/aws/aws-cdk/blob/main/packages/aws-cdk-lib/aws-eks/lib/managed-nodegroup.ts
// https://docs.aws.amazon.com/eks/latest/APIReference/API_NodegroupScalingConfig.html
func checkScaling(cluster, ng string, sc scaling) *restjson.Error {
	switch {
	case sc.Min < 0:
		return invalidParam(cluster, ng, "minSize must be 0 or more, not %d.", sc.Min)
	case sc.Desired < 0:
		return invalidParam(cluster, ng, "desiredSize must be 0 or more, not %d.", sc.Desired)
	case sc.Max < 1:
		return invalidParam(cluster, ng, "maxSize must be 1 or more, not %d.", sc.Max)
	case sc.Max > MaxNodesPerNodegroup:
		return invalidParam(cluster, ng, "maxSize %d is more than the %d nodes a managed node group can have.", sc.Max, MaxNodesPerNodegroup)
	case sc.Min > sc.Max:
		return invalidParam(cluster, ng, "Minimum capacity %d can't be greater than max size %d", sc.Min, sc.Max)
	case sc.Min > sc.Desired:
		return invalidParam(cluster, ng, "Minimum capacity %d can't be greater than desired size %d", sc.Min, sc.Desired)
	case sc.Desired > sc.Max:
		return invalidParam(cluster, ng, "Desired capacity %d can't be greater than max size %d", sc.Desired, sc.Max)
	}
	return nil
}

// checkUpdateConfig checks NodegroupUpdateConfig: exactly one of maxUnavailable (1–100:
// "The maximum number is 100") and maxUnavailablePercentage (1–100) ("This value or
// maxUnavailablePercentage is required to have a value"), updateStrategy DEFAULT or
// MINIMAL. It returns the configuration to store over old.
// https://docs.aws.amazon.com/eks/latest/APIReference/API_NodegroupUpdateConfig.html
func checkUpdateConfig(cluster, ng string, in *updateConfigIn, old updateConfig) (updateConfig, *restjson.Error) {
	if in.MaxUnavailable != nil && in.MaxUnavailablePercentage != nil {
		return old, invalidParam(cluster, ng, "Specify either maxUnavailable or maxUnavailablePercentage in updateConfig, not both.")
	}
	out := old
	switch {
	case in.MaxUnavailable != nil:
		if n := *in.MaxUnavailable; n < 1 || n > 100 {
			return old, invalidParam(cluster, ng, "maxUnavailable must be between 1 and 100, not %d.", n)
		}
		out.MaxUnavailable, out.MaxUnavailablePercentage = *in.MaxUnavailable, 0
	case in.MaxUnavailablePercentage != nil:
		if n := *in.MaxUnavailablePercentage; n < 1 || n > 100 {
			return old, invalidParam(cluster, ng, "maxUnavailablePercentage must be between 1 and 100, not %d.", n)
		}
		out.MaxUnavailable, out.MaxUnavailablePercentage = 0, *in.MaxUnavailablePercentage
	case in.UpdateStrategy == "":
		return old, invalidParam(cluster, ng, "updateConfig needs maxUnavailable or maxUnavailablePercentage.")
	}
	if in.UpdateStrategy != "" {
		if !oneOf(in.UpdateStrategy, updateStrategys) {
			return old, invalidParam(cluster, ng, "updateStrategy %q is not valid: DEFAULT or MINIMAL.", in.UpdateStrategy)
		}
		out.UpdateStrategy = in.UpdateStrategy
	}
	return out, nil
}

// checkTaints checks taints: key 1–63 characters, value up to 63, effect NO_SCHEDULE,
// NO_EXECUTE or PREFER_NO_SCHEDULE (the Taint shape).
// https://docs.aws.amazon.com/eks/latest/APIReference/API_Taint.html
func checkTaints(cluster, ng string, taints []taint) *restjson.Error {
	for _, t := range taints {
		if t.Key == "" || len(t.Key) > 63 || len(t.Value) > 63 {
			return invalidParam(cluster, ng, "Taint key %q or value %q is not valid: the key is 1 to 63 characters, the value up to 63.", t.Key, t.Value)
		}
		if !oneOf(t.Effect, taintEffects) {
			return invalidParam(cluster, ng, "Taint effect %q is not valid: NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE.", t.Effect)
		}
	}
	return nil
}

// customAMIField is EKS's answer to version, releaseVersion or amiType with a launch
// template that names an AMI: "You cannot specify the field kubernetesVersion when using
// custom AMIs." (InvalidParameterException, as EKS answered in
// https://github.com/eksctl-io/eksctl/issues/5748 and, for releaseVersion,
// https://github.com/pulumi/pulumi-aws-native/issues/1747). The user guide: "The following
// fields can't be set in the API if you specify an AMI ID: amiType, releaseVersion, version".
// https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html#mng-ami-id-conditions
func customAMIField(cluster, ng, field string) *restjson.Error {
	return invalidParam(cluster, ng, "You cannot specify the field %s when using custom AMIs.", field)
}

// templateVersion reads a launch template version through EC2.
func (s *Service) templateVersion(region, idOrName, version string) (awsemu.LaunchTemplateVersionData, bool) {
	r, ok := s.srv.EC2.(awsemu.LaunchTemplateVersionReader)
	if !ok {
		return awsemu.LaunchTemplateVersionData{}, false
	}
	return r.LaunchTemplateVersion(region, idOrName, version)
}

func (s *Service) cluster(region, name string) (*Cluster, *restjson.Error) {
	c, ok := s.clusters[region+"/"+name]
	if !ok {
		return nil, clusterNotFound(name)
	}
	return c, nil
}

func (s *Service) findNodegroup(region, cluster, name string) (*nodegroup, *restjson.Error) {
	if _, err := s.cluster(region, cluster); err != nil {
		return nil, err
	}
	ng, ok := s.nodegroups[ngKey(region, cluster, name)]
	if !ok {
		return nil, nodegroupNotFound(cluster, name)
	}
	return ng, nil
}

func (s *Service) createNodegroup(r *awsemu.Request, clusterName string) (any, *restjson.Error) {
	var in createNodegroupIn
	if err := restjson.Decode(r.Body, &in, "InvalidParameterException"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.cluster(r.Region, clusterName)
	if err != nil {
		return nil, err
	}
	name := in.NodegroupName
	if !nodegroupNameRE.MatchString(name) {
		return nil, invalidParam(clusterName, name, "The node group name %q is not valid: 1 to 63 letters, digits, hyphens and underscores, starting with a letter or digit.", name)
	}
	if ng, ok := s.nodegroups[ngKey(r.Region, clusterName, name)]; ok {
		if in.ClientRequestToken != "" && in.ClientRequestToken == ng.token {
			return map[string]any{"nodegroup": ng.json()}, nil
		}
		// "NodeGroup already exists with name X and cluster name Y" (409), as EKS
		// answered in https://github.com/terraform-aws-modules/terraform-aws-eks/issues/1931.
		return nil, ngError(http.StatusConflict, "ResourceInUseException", clusterName, name,
			"NodeGroup already exists with name %s and cluster name %s", name, clusterName)
	}
	now := s.srv.Clock.Now()
	if !c.ready.IsZero() && now.Before(c.ready) {
		// moto's wording of EKS's answer for a cluster that is not ACTIVE yet.
		return nil, ngError(http.StatusBadRequest, "InvalidRequestException", clusterName, name, "Cluster '%s' is not in ACTIVE status", clusterName)
	}
	bad := func(format string, args ...any) (any, *restjson.Error) {
		return nil, invalidParam(clusterName, name, format, args...)
	}
	if in.NodeRole == "" {
		return bad("nodeRole is required.")
	}
	if !roleARNRE.MatchString(in.NodeRole) {
		return bad("Invalid Role Arn: '%s'", in.NodeRole)
	}
	if len(in.Subnets) == 0 {
		return bad("subnets is required: the subnets of the node group's Auto Scaling group.")
	}
	var zones []string
	for _, id := range in.Subnets {
		sn, ok := s.srv.EC2.Subnet(r.Region, id)
		if !ok {
			return bad("The subnet ID '%s' does not exist.", id)
		}
		if !oneOf(sn.AvailabilityZone, zones) {
			zones = append(zones, sn.AvailabilityZone)
		}
	}
	sc := scaling{Min: 2, Max: 2, Desired: 2} // moto's defaults; EKS documents none
	if in.ScalingConfig != nil {
		if in.ScalingConfig.MinSize != nil {
			sc.Min = *in.ScalingConfig.MinSize
		}
		if in.ScalingConfig.MaxSize != nil {
			sc.Max = *in.ScalingConfig.MaxSize
		}
		if in.ScalingConfig.DesiredSize != nil {
			sc.Desired = *in.ScalingConfig.DesiredSize
		}
	}
	if err := checkScaling(clusterName, name, sc); err != nil {
		return nil, err
	}
	uc := updateConfig{MaxUnavailable: 1} // "The default value is one node." (update behavior, setup phase)
	if in.UpdateConfig != nil {
		if uc, err = checkUpdateConfig(clusterName, name, in.UpdateConfig, uc); err != nil {
			return nil, err
		}
	}
	if in.CapacityType == "" {
		in.CapacityType = "ON_DEMAND"
	}
	if !oneOf(in.CapacityType, capacityTypes) {
		return bad("capacityType %q is not valid: ON_DEMAND, SPOT or CAPACITY_BLOCK.", in.CapacityType)
	}
	if err := checkTaints(clusterName, name, in.Taints); err != nil {
		return nil, err
	}
	// TagMap: 1 to 50 tags.
	if len(in.Tags) > 50 {
		return bad("A node group can have at most 50 tags, not %d.", len(in.Tags))
	}
	// instanceTypes: "you can specify 0-20 instance types".
	if len(in.InstanceTypes) > 20 {
		return bad("instanceTypes can list at most 20 instance types, not %d.", len(in.InstanceTypes))
	}
	if in.Version != "" && in.Version != c.Version {
		// "By default, the Kubernetes version of the cluster is used, and this is the only
		// accepted specified value."
		return bad("Requested Nodegroup version %s is not valid: only the cluster's version %s is accepted.", in.Version, c.Version)
	}
	if s.srv.AutoScaling == nil {
		return nil, restjson.Errorf(http.StatusInternalServerError, "ServerException", "awsemu: no Auto Scaling service to create the node group's group")
	}
	ng := &nodegroup{Name: name, Cluster: clusterName, Region: r.Region, Account: r.Account,
		uuid: uuidFrom(s.nextSeed(r.Region, clusterName, name)), CreatedAt: now, ModifiedAt: now,
		Status: statusCreating, createDeadline: now.Add(NodegroupCreateTimeout),
		Version: c.Version, CapacityType: in.CapacityType,
		Scaling: sc, Subnets: in.Subnets, NodeRole: in.NodeRole, Labels: in.Labels, Taints: in.Taints,
		Tags: in.Tags, UpdateConfig: uc, NodeRepairConfig: in.NodeRepairConfig, token: in.ClientRequestToken}
	if in.LaunchTemplate == nil {
		if err := s.eksOptimized(r.Region, ng, &in); err != nil {
			return nil, err
		}
	} else if err := s.customAMI(r.Region, ng, &in); err != nil {
		return nil, err
	}
	// The Auto Scaling group EKS creates in the account: eks-<node group>-<uuid>, tagged
	// for the Cluster Autoscaler's auto-discovery ("Nodes launched as part of a managed node
	// group are automatically tagged for auto-discovery by the Kubernetes Cluster
	// Autoscaler") and with the cluster and node group names.
	// https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html
	ng.ASG = "eks-" + name + "-" + ng.uuid
	g := awsemu.AutoScalingGroup{Name: ng.ASG, Region: r.Region, MinSize: sc.Min, MaxSize: sc.Max, DesiredCapacity: sc.Desired,
		LaunchTemplateID: ng.LTID, LaunchTemplateVersion: ng.LTVersion, SubnetIDs: in.Subnets, AvailabilityZones: zones,
		Tags: map[string]string{
			"eks:cluster-name":                         clusterName,
			"eks:nodegroup-name":                       name,
			"kubernetes.io/cluster/" + clusterName:     "owned",
			"k8s.io/cluster-autoscaler/enabled":        "true",
			"k8s.io/cluster-autoscaler/" + clusterName: "owned",
		}}
	if err := s.srv.AutoScaling.CreateGroup(r.Account, g); err != nil {
		// EKS creates the group after answering: a group Auto Scaling refuses leaves the
		// node group CREATE_FAILED with an AutoScalingGroupInvalidConfiguration issue.
		ng.Status = statusCreateFailed
		ng.Issues = []issue{{Code: "AutoScalingGroupInvalidConfiguration", Message: err.Error(), ResourceIDs: []string{ng.ASG}}}
	}
	s.nodegroups[ngKey(r.Region, clusterName, name)] = ng
	out := ng.json()
	delete(out, "resources") // EKS answers CREATING without resources (aws eks create-nodegroup example)
	return map[string]any{"nodegroup": out}, nil
}

// customAMI fills a node group created with the user's launch template, whose version
// names the AMI: amiType CUSTOM, releaseVersion the AMI id.
func (s *Service) customAMI(region string, ng *nodegroup, in *createNodegroupIn) *restjson.Error {
	bad := func(format string, args ...any) *restjson.Error {
		return invalidParam(ng.Cluster, ng.Name, format, args...)
	}
	lt := in.LaunchTemplate
	// "You must specify either the launch template name or the launch template ID in the
	// request, but not both."
	// https://docs.aws.amazon.com/eks/latest/APIReference/API_LaunchTemplateSpecification.html
	if (lt.ID == "") == (lt.Name == "") {
		return bad("You must specify either the launch template ID or the launch template name in the request, but not both.")
	}
	idOrName := lt.ID + lt.Name
	v, ok := s.templateVersion(region, idOrName, lt.Version)
	if !ok {
		return bad("Launch template %s version %q does not exist.", idOrName, lt.Version)
	}
	// With a launch template, diskSize and remoteAccess are not allowed: moto's copies of
	// EKS's messages. https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html
	if in.DiskSize != nil {
		return bad("Disk size must be specified within the launch template.")
	}
	if in.RemoteAccess != nil {
		return bad("Remote access configuration cannot be specified with a launch template.")
	}
	// "If you specify an instance type in your launch template and specify any
	// instanceTypes, the node group deployment will fail."
	if v.InstanceType != "" && len(in.InstanceTypes) > 0 {
		return bad("Instance type must be specified within the launch template, not in instanceTypes, when the launch template names one.")
	}
	// "IAM instance profile" is prohibited in the launch template (Node IAM role instead).
	if v.IamInstanceProfile != "" {
		return bad("Launch template %s should not specify an instance profile. The noderole in your request will be used to construct an instance profile.", idOrName)
	}
	// A template without an AMI takes EKS's AMI for amiType: awsemu serves that only
	// without a launch template (a DIFFERENCES.md row).
	if v.ImageID == "" {
		return bad("awsemu serves launch template node groups only when the launch template version names an AMI (ImageId): launch template %s version %d names none.", idOrName, v.Number)
	}
	switch {
	case in.AmiType != "":
		return customAMIField(ng.Cluster, ng.Name, "amiType")
	case in.ReleaseVersion != "":
		return customAMIField(ng.Cluster, ng.Name, "releaseVersion")
	case in.Version != "":
		return customAMIField(ng.Cluster, ng.Name, "kubernetesVersion")
	}
	ng.AmiType, ng.ReleaseVersion = "CUSTOM", v.ImageID
	ng.LTID, ng.LTName, ng.LTVersion = v.TemplateID, v.TemplateName, strconv.FormatInt(v.Number, 10)
	return nil
}

// windowsAMITypes are the Windows AMI types and the name stem of their EKS-optimized AMIs
// and SSM parameters (/aws/service/ami-windows-latest/<stem>-EKS_Optimized-<k8s>/image_id).
// https://docs.aws.amazon.com/eks/latest/userguide/retrieve-windows-ami-id.html
var windowsAMITypes = map[string]string{
	"WINDOWS_CORE_2019_x86_64": "Windows_Server-2019-English-Core",
	"WINDOWS_FULL_2019_x86_64": "Windows_Server-2019-English-Full",
	"WINDOWS_CORE_2022_x86_64": "Windows_Server-2022-English-Core",
	"WINDOWS_FULL_2022_x86_64": "Windows_Server-2022-English-Full",
	"WINDOWS_CORE_2025_x86_64": "Windows_Server-2025-English-Core",
	"WINDOWS_FULL_2025_x86_64": "Windows_Server-2025-English-Full",
}

// amiRelease is one EKS-optimized AMI release: its version ("1.33-2025.06.13", the
// "k8s_major_version.k8s_minor_version-release_date" format of eks-ami-versions-windows)
// and its AMI.
type amiRelease struct{ Version, AMI string }

// windowsReleases lists the releases of an AMI type for a Kubernetes version, oldest
// first, from the history of its public SSM parameter and the AMIs' names
// (…-EKS_Optimized-1.33-2025.06.13).
// https://docs.aws.amazon.com/eks/latest/userguide/eks-ami-versions-windows.html
func (s *Service) windowsReleases(region, amiType, k8s string) []amiRelease {
	stem := windowsAMITypes[amiType]
	r, ok := s.srv.SSM.(awsemu.SSMParameterReader)
	if stem == "" || !ok {
		return nil
	}
	p, ok := r.GetParameter(region, "/aws/service/ami-windows-latest/"+stem+"-EKS_Optimized-"+k8s+"/image_id")
	if !ok {
		return nil
	}
	var out []amiRelease
	prefix := stem + "-EKS_Optimized-"
	for _, h := range p.History {
		img, ok := s.srv.EC2.GetImage(region, h.Value)
		if !ok || !strings.HasPrefix(img.Name, prefix+k8s+"-") {
			continue
		}
		out = append(out, amiRelease{Version: strings.TrimPrefix(img.Name, prefix), AMI: h.Value})
	}
	return out
}

// findRelease finds releaseVersion among rels ("" is the latest). EKS's answer for one it
// does not have: "Requested release version 1.xx is not valid for kubernetes version
// 1.yy", as quoted in https://repost.aws/knowledge-center/eks-managed-node-group-update.
func findRelease(ng *nodegroup, rels []amiRelease, releaseVersion, k8s string) (amiRelease, *restjson.Error) {
	if releaseVersion == "" && len(rels) > 0 {
		return rels[len(rels)-1], nil
	}
	for _, r := range rels {
		if r.Version == releaseVersion {
			return r, nil
		}
	}
	return amiRelease{}, invalidParam(ng.Cluster, ng.Name, "Requested release version %s is not valid for kubernetes version %s", releaseVersion, k8s)
}

// eksOptimized fills a node group created without a launch template on an EKS-optimized
// Windows AMI: EKS makes a launch template of its own (eks-<uuid>) with the AMI of
// amiType and releaseVersion (the latest when omitted), the first of instanceTypes
// (t3.medium when none) and a root volume of diskSize GiB (50 for Windows).
// https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html
func (s *Service) eksOptimized(region string, ng *nodegroup, in *createNodegroupIn) *restjson.Error {
	bad := func(format string, args ...any) *restjson.Error {
		return invalidParam(ng.Cluster, ng.Name, format, args...)
	}
	if _, ok := windowsAMITypes[in.AmiType]; !ok {
		return bad("awsemu serves node groups without a launch template only for the Windows AMI types (WINDOWS_CORE_2019_x86_64, WINDOWS_FULL_2019_x86_64, WINDOWS_CORE_2022_x86_64, WINDOWS_FULL_2022_x86_64, WINDOWS_CORE_2025_x86_64, WINDOWS_FULL_2025_x86_64), not amiType %q; or give a launchTemplate whose version names an AMI.", in.AmiType)
	}
	rel, err := findRelease(ng, s.windowsReleases(region, in.AmiType, ng.Version), in.ReleaseVersion, ng.Version)
	if err != nil {
		return err
	}
	types := in.InstanceTypes
	if len(types) == 0 {
		types = []string{"t3.medium"} // "If you don't specify an instance type …, then t3.medium is used"
	}
	disk := int64(50) // "The default disk size is … 50 GiB for Windows."
	if in.DiskSize != nil {
		if *in.DiskSize < 1 {
			return bad("diskSize must be 1 GiB or more, not %d.", *in.DiskSize)
		}
		disk = *in.DiskSize
	}
	w, ok := s.srv.EC2.(awsemu.LaunchTemplateWriter)
	if !ok {
		return restjson.Errorf(http.StatusInternalServerError, "ServerException", "awsemu: EC2 cannot make the node group's launch template")
	}
	name := "eks-" + ng.uuid
	id, cerr := w.CreateLaunchTemplate(region, name, awsemu.LaunchTemplateContent{ImageID: rel.AMI, InstanceType: types[0],
		RootDeviceName: "/dev/sda1", RootVolumeGiB: disk, Tags: map[string]string{"eks:cluster-name": ng.Cluster, "eks:nodegroup-name": ng.Name}})
	if cerr != nil {
		return restjson.Errorf(http.StatusInternalServerError, "ServerException", "awsemu: making the node group's launch template: %v", cerr)
	}
	ng.ownLT, ng.AmiType, ng.ReleaseVersion = true, in.AmiType, rel.Version
	ng.InstanceTypes, ng.DiskSize, ng.RemoteAccess = types, disk, in.RemoteAccess
	ng.LTID, ng.LTName, ng.LTVersion = id, name, "1"
	return nil
}

func (s *Service) describeNodegroup(r *awsemu.Request, cluster, name string) (any, *restjson.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ng, err := s.findNodegroup(r.Region, cluster, name)
	if err != nil {
		return nil, err
	}
	return map[string]any{"nodegroup": ng.json()}, nil
}

// pageQuery reads maxResults (1–100, default 100) and an opaque nextToken of prefix.
func pageQuery(r *awsemu.Request, prefix string, n int) (start, end int, next string, err *restjson.Error) {
	q := r.HTTP.URL.Query()
	maxResults := 100
	if v := q.Get("maxResults"); v != "" {
		m, perr := strconv.Atoi(v)
		if perr != nil || m < 1 || m > 100 {
			return 0, 0, "", restjson.Errorf(http.StatusBadRequest, "InvalidParameterException", "maxResults must be between 1 and 100, not %s", v)
		}
		maxResults = m
	}
	if tok := q.Get("nextToken"); tok != "" {
		m, derr := decodePageToken(prefix, tok)
		if derr != nil || m < 0 || m > n {
			return 0, 0, "", restjson.Errorf(http.StatusBadRequest, "InvalidParameterException", "The nextToken %q is not valid.", tok)
		}
		start = m
	}
	end = start + maxResults
	if end < n {
		next = encodePageToken(prefix, end)
	} else {
		end = n
	}
	return start, end, next, nil
}

func (s *Service) listNodegroups(r *awsemu.Request, cluster string) (any, *restjson.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.cluster(r.Region, cluster); err != nil {
		return nil, err
	}
	names := []string{}
	for _, ng := range s.nodegroups {
		if ng.Region == r.Region && ng.Cluster == cluster {
			names = append(names, ng.Name)
		}
	}
	sort.Strings(names)
	start, end, next, err := pageQuery(r, "nodegroups:"+cluster, len(names))
	if err != nil {
		return nil, err
	}
	out := map[string]any{"nodegroups": names[start:end]}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// deleteNodegroup starts deleting a node group: DELETING while its Auto Scaling group
// scales to zero and is deleted, then gone.
// https://docs.aws.amazon.com/eks/latest/APIReference/API_DeleteNodegroup.html
func (s *Service) deleteNodegroup(r *awsemu.Request, cluster, name string) (any, *restjson.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ng, err := s.findNodegroup(r.Region, cluster, name)
	if err != nil {
		return nil, err
	}
	if ng.Status != statusDeleting {
		ng.Status = statusDeleting
		ng.ModifiedAt = s.srv.Clock.Now()
		if ng.ASG != "" && s.srv.AutoScaling != nil {
			if g, ok := s.srv.AutoScaling.Group(ng.Region, ng.ASG); ok {
				g.MinSize, g.MaxSize, g.DesiredCapacity = 0, 0, 0
				g.Instances = nil
				_ = s.srv.AutoScaling.UpdateGroup(g)
			}
		}
	}
	return map[string]any{"nodegroup": ng.json()}, nil
}

type updateConfigReq struct {
	Labels *struct {
		AddOrUpdateLabels map[string]string `json:"addOrUpdateLabels"`
		RemoveLabels      []string          `json:"removeLabels"`
	} `json:"labels"`
	Taints *struct {
		AddOrUpdateTaints []taint `json:"addOrUpdateTaints"`
		RemoveTaints      []taint `json:"removeTaints"`
	} `json:"taints"`
	ScalingConfig      *scalingIn      `json:"scalingConfig"`
	UpdateConfig       *updateConfigIn `json:"updateConfig"`
	NodeRepairConfig   map[string]any  `json:"nodeRepairConfig"`
	WarmPoolConfig     map[string]any  `json:"warmPoolConfig"`
	ClientRequestToken string          `json:"clientRequestToken"`
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// updateNodegroupConfig changes scaling, update configuration, labels, taints and node
// repair of an ACTIVE node group: a ConfigUpdate that is InProgress (the node group
// UPDATING) for ConfigUpdateDuration. The scaling configuration reaches the Auto Scaling
// group at once.
// https://docs.aws.amazon.com/eks/latest/APIReference/API_UpdateNodegroupConfig.html
func (s *Service) updateNodegroupConfig(r *awsemu.Request, cluster, name string) (any, *restjson.Error) {
	var in updateConfigReq
	if err := restjson.Decode(r.Body, &in, "InvalidParameterException"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ng, done, err := s.updatable(r.Region, cluster, name, in.ClientRequestToken, "ConfigUpdate")
	if err != nil || done != nil {
		return done, err
	}
	var params []updateParam
	sc := ng.Scaling
	if in.ScalingConfig != nil {
		p := in.ScalingConfig
		if p.MinSize != nil {
			sc.Min = *p.MinSize
			params = append(params, updateParam{"MinSize", strconv.FormatInt(sc.Min, 10)})
		}
		if p.MaxSize != nil {
			sc.Max = *p.MaxSize
			params = append(params, updateParam{"MaxSize", strconv.FormatInt(sc.Max, 10)})
		}
		if p.DesiredSize != nil {
			sc.Desired = *p.DesiredSize
			params = append(params, updateParam{"DesiredSize", strconv.FormatInt(sc.Desired, 10)})
		}
		if err := checkScaling(cluster, name, sc); err != nil {
			return nil, err
		}
	}
	labels := map[string]string{}
	for k, v := range ng.Labels {
		labels[k] = v
	}
	if in.Labels != nil {
		if len(in.Labels.AddOrUpdateLabels) > 0 {
			for k, v := range in.Labels.AddOrUpdateLabels {
				labels[k] = v
			}
			params = append(params, updateParam{"LabelsToAdd", jsonString(in.Labels.AddOrUpdateLabels)})
		}
		if len(in.Labels.RemoveLabels) > 0 {
			for _, k := range in.Labels.RemoveLabels {
				delete(labels, k)
			}
			params = append(params, updateParam{"LabelsToRemove", jsonString(in.Labels.RemoveLabels)})
		}
	}
	taints := append([]taint(nil), ng.Taints...)
	if in.Taints != nil {
		if err := checkTaints(cluster, name, append(append([]taint(nil), in.Taints.AddOrUpdateTaints...), in.Taints.RemoveTaints...)); err != nil {
			return nil, err
		}
		same := func(a, b taint) bool { return a.Key == b.Key && a.Effect == b.Effect }
		if len(in.Taints.AddOrUpdateTaints) > 0 {
			for _, t := range in.Taints.AddOrUpdateTaints {
				kept := taints[:0]
				for _, o := range taints {
					if !same(o, t) {
						kept = append(kept, o)
					}
				}
				taints = append(kept, t)
			}
			params = append(params, updateParam{"TaintsToAdd", jsonString(in.Taints.AddOrUpdateTaints)})
		}
		if len(in.Taints.RemoveTaints) > 0 {
			for _, t := range in.Taints.RemoveTaints {
				kept := taints[:0]
				for _, o := range taints {
					if !same(o, t) {
						kept = append(kept, o)
					}
				}
				taints = kept
			}
			params = append(params, updateParam{"TaintsToRemove", jsonString(in.Taints.RemoveTaints)})
		}
	}
	uc := ng.UpdateConfig
	if in.UpdateConfig != nil {
		if uc, err = checkUpdateConfig(cluster, name, in.UpdateConfig, uc); err != nil {
			return nil, err
		}
		if in.UpdateConfig.MaxUnavailable != nil {
			params = append(params, updateParam{"MaxUnavailable", strconv.FormatInt(uc.MaxUnavailable, 10)})
		}
		if in.UpdateConfig.MaxUnavailablePercentage != nil {
			params = append(params, updateParam{"MaxUnavailablePercentage", strconv.FormatInt(uc.MaxUnavailablePercentage, 10)})
		}
		if in.UpdateConfig.UpdateStrategy != "" {
			params = append(params, updateParam{"UpdateStrategy", uc.UpdateStrategy})
		}
	}
	if in.NodeRepairConfig != nil {
		enabled, _ := in.NodeRepairConfig["enabled"].(bool)
		params = append(params, updateParam{"NodeRepairEnabled", strconv.FormatBool(enabled)})
	}
	if len(params) == 0 {
		return nil, invalidParam(cluster, name, "The update changes nothing: give labels, taints, scalingConfig, updateConfig or nodeRepairConfig.")
	}
	now := s.srv.Clock.Now()
	if sc != ng.Scaling && ng.ASG != "" && s.srv.AutoScaling != nil {
		g, ok := s.srv.AutoScaling.Group(ng.Region, ng.ASG)
		if ok {
			g.MinSize, g.MaxSize, g.DesiredCapacity = sc.Min, sc.Max, sc.Desired
			g.Instances = nil
			if err := s.srv.AutoScaling.UpdateGroup(g); err != nil {
				return nil, invalidParam(cluster, name, "Updating the Auto Scaling group %s: %v", ng.ASG, err)
			}
		}
	}
	ng.Scaling, ng.Labels, ng.Taints, ng.UpdateConfig = sc, labels, taints, uc
	if in.NodeRepairConfig != nil {
		ng.NodeRepairConfig = in.NodeRepairConfig
	}
	u := &update{ID: uuidFrom(s.nextSeed("update", r.Region, cluster, name)), Type: "ConfigUpdate", Status: updateInProgress,
		Params: params, CreatedAt: now, token: in.ClientRequestToken, doneAt: now.Add(ConfigUpdateDuration)}
	ng.updates = append(ng.updates, u)
	ng.Status, ng.ModifiedAt = statusUpdating, now
	return map[string]any{"update": u.json()}, nil
}

// updatable finds the node group an update request names (callers hold s.mu): done is the
// answer when a retried request (the same ClientRequestToken) already made the update;
// otherwise the node group must be ACTIVE.
func (s *Service) updatable(region, cluster, name, token, typ string) (ng *nodegroup, done any, err *restjson.Error) {
	ng, err = s.findNodegroup(region, cluster, name)
	if err != nil {
		return nil, nil, err
	}
	if u := ng.byToken(token, typ); u != nil {
		return ng, map[string]any{"update": u.json()}, nil
	}
	if ng.Status != statusActive {
		return nil, nil, notActive(cluster, name)
	}
	return ng, nil, nil
}

func (ng *nodegroup) byToken(token, typ string) *update {
	if token == "" {
		return nil
	}
	for _, u := range ng.updates {
		if u.token == token && u.Type == typ {
			return u
		}
	}
	return nil
}

type updateVersionReq struct {
	Version            string `json:"version"`
	ReleaseVersion     string `json:"releaseVersion"`
	LaunchTemplate     *ltIn  `json:"launchTemplate"`
	Force              bool   `json:"force"`
	ClientRequestToken string `json:"clientRequestToken"`
}

// refreshSpec is how the node group's instances are replaced, k (maxUnavailable) at a
// time out of n: the DEFAULT strategy launches new nodes before terminating old ones
// ("It creates new nodes before terminating the old ones, so that the available capacity
// is maintained"): min healthy 100%, max healthy 100% + k/n; MINIMAL terminates first
// ("total capacity never increases beyond your configured quantity"): min healthy
// (n−k)/n, max healthy 100%.
// https://docs.aws.amazon.com/eks/latest/userguide/managed-node-update-behavior.html
func refreshSpec(uc updateConfig, n int64) awsemu.InstanceRefreshSpec {
	k := uc.MaxUnavailable
	if uc.MaxUnavailablePercentage > 0 {
		// "This percentage of nodes are updated in parallel, up to 100 nodes at once."
		k = int64(math.Floor(float64(n) * float64(uc.MaxUnavailablePercentage) / 100))
		if k < 1 {
			k = 1
		}
		if k > 100 {
			k = 100
		}
	}
	if n < 1 {
		n = 1
	}
	if k > n {
		k = n
	}
	spec := awsemu.InstanceRefreshSpec{Hidden: true}
	if uc.UpdateStrategy == "MINIMAL" {
		spec.MinHealthyPercentage = int(100 * (n - k) / n)
		spec.MaxHealthyPercentage = 100
		return spec
	}
	// Auto Scaling rounds the maximum healthy count up (ceil(n × max%)): 100 + ⌊100k/n⌋
	// gives n + k for groups of up to 100.
	spec.MinHealthyPercentage = 100
	spec.MaxHealthyPercentage = 100 + int(100*k/n)
	if spec.MaxHealthyPercentage > 200 {
		spec.MaxHealthyPercentage = 200
	}
	return spec
}

// updateNodegroupVersion moves an ACTIVE launch template node group to another version of
// its launch template: the Auto Scaling group is pointed at the version and its instances
// are replaced (a refresh the account does not see), maxUnavailable at a time. The update
// is Successful when the replacement is, Failed (and the group back on the old version)
// when it fails.
// https://docs.aws.amazon.com/eks/latest/APIReference/API_UpdateNodegroupVersion.html
func (s *Service) updateNodegroupVersion(r *awsemu.Request, cluster, name string) (any, *restjson.Error) {
	var in updateVersionReq
	if err := restjson.Decode(r.Body, &in, "InvalidParameterException"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ng, done, err := s.updatable(r.Region, cluster, name, in.ClientRequestToken, "VersionUpdate")
	if err != nil || done != nil {
		return done, err
	}
	bad := func(format string, args ...any) (any, *restjson.Error) {
		return nil, invalidParam(cluster, name, format, args...)
	}
	if ng.ownLT {
		return s.updateEKSOptimized(r, ng, &in)
	}
	lt := in.LaunchTemplate
	if lt == nil {
		// EKS's answer for a CUSTOM node group updated without a launch template, as
		// quoted in https://repost.aws/knowledge-center/eks-managed-node-group-update and
		// https://github.com/aws-samples/eks-cluster-upgrade/issues/123.
		return bad("Launch template details can't be null for Custom ami type node group")
	}
	switch {
	case in.Version != "":
		return nil, customAMIField(cluster, name, "kubernetesVersion")
	case in.ReleaseVersion != "":
		return nil, customAMIField(cluster, name, "releaseVersion")
	}
	if lt.ID != "" && lt.Name != "" {
		return bad("You must specify either the launch template ID or the launch template name in the request, but not both.")
	}
	// "When updating, you must specify the same launch template ID or name that was used
	// to create the node group."
	if (lt.ID != "" && lt.ID != ng.LTID) || (lt.Name != "" && lt.Name != ng.LTName) {
		return bad("You cannot specify a different launch template ID or name than what was used to create the node group (%s, %s).", ng.LTID, ng.LTName)
	}
	v, ok := s.templateVersion(r.Region, ng.LTID, lt.Version)
	if !ok {
		return bad("Launch template %s version %q does not exist.", ng.LTID, lt.Version)
	}
	// "If your node group is configured with a custom AMI, then the version that you
	// select must also specify an AMI." (update-managed-node-group) and "You must create a
	// new node group to switch between specifying an AMI ID in a launch template and not
	// specifying an AMI ID." (launch-templates#mng-ami-id-conditions)
	if v.ImageID == "" {
		return bad("Launch template %s version %d specifies no AMI: a node group with a custom AMI can only move to a version that specifies one.", ng.LTID, v.Number)
	}
	if v.IamInstanceProfile != "" {
		return bad("Launch template %s should not specify an instance profile. The noderole in your request will be used to construct an instance profile.", ng.LTID)
	}
	now := s.srv.Clock.Now()
	newVersion := strconv.FormatInt(v.Number, 10)
	u := &update{ID: uuidFrom(s.nextSeed("update", r.Region, cluster, name)), Type: "VersionUpdate", Status: updateInProgress,
		Params:    []updateParam{{"LaunchTemplateName", ng.LTName}, {"LaunchTemplateVersion", newVersion}},
		CreatedAt: now, token: in.ClientRequestToken, oldVersion: ng.LTVersion, newVersion: newVersion, newImage: v.ImageID, newRelease: v.ImageID}
	ng.updates = append(ng.updates, u)
	ng.Status, ng.ModifiedAt = statusUpdating, now
	s.startVersionUpdate(ng, u)
	return map[string]any{"update": u.json()}, nil
}

// updateEKSOptimized moves a node group made without a launch template to another release
// of its EKS-optimized AMI (the latest when releaseVersion is omitted) of the cluster's
// Kubernetes version: a new version of EKS's own launch template, then the same
// replacement as a launch template update.
// https://docs.aws.amazon.com/eks/latest/APIReference/API_UpdateNodegroupVersion.html
func (s *Service) updateEKSOptimized(r *awsemu.Request, ng *nodegroup, in *updateVersionReq) (any, *restjson.Error) {
	bad := func(format string, args ...any) (any, *restjson.Error) {
		return nil, invalidParam(ng.Cluster, ng.Name, format, args...)
	}
	// "You can't directly upgrade a node group that's deployed without a launch template
	// to a new launch template version."
	// https://docs.aws.amazon.com/eks/latest/userguide/update-managed-node-group.html
	if in.LaunchTemplate != nil {
		return bad("Node group %s was created without a launch template: it cannot be updated to one; create a new node group with the launch template.", ng.Name)
	}
	c, _ := s.cluster(ng.Region, ng.Cluster)
	// "The version that you update to can't be greater than the control plane's version."
	if in.Version != "" && in.Version != c.Version {
		return bad("Requested Nodegroup version %s is not valid: the node group can only move to the cluster's version %s.", in.Version, c.Version)
	}
	rel, err := findRelease(ng, s.windowsReleases(ng.Region, ng.AmiType, c.Version), in.ReleaseVersion, c.Version)
	if err != nil {
		return nil, err
	}
	// "You cannot roll back a node group to an earlier Kubernetes version or AMI version."
	if rel.Version < ng.ReleaseVersion {
		return bad("You cannot roll back a node group to an earlier AMI version: %s is older than %s.", rel.Version, ng.ReleaseVersion)
	}
	w, ok := s.srv.EC2.(awsemu.LaunchTemplateWriter)
	if !ok {
		return nil, restjson.Errorf(http.StatusInternalServerError, "ServerException", "awsemu: EC2 cannot write the node group's launch template")
	}
	n, werr := w.CreateLaunchTemplateVersion(ng.Region, ng.LTID, awsemu.LaunchTemplateContent{ImageID: rel.AMI, InstanceType: ng.InstanceTypes[0],
		RootDeviceName: "/dev/sda1", RootVolumeGiB: ng.DiskSize})
	if werr != nil {
		return nil, restjson.Errorf(http.StatusInternalServerError, "ServerException", "awsemu: writing the node group's launch template: %v", werr)
	}
	now := s.srv.Clock.Now()
	u := &update{ID: uuidFrom(s.nextSeed("update", ng.Region, ng.Cluster, ng.Name)), Type: "VersionUpdate", Status: updateInProgress,
		Params:    []updateParam{{"Version", c.Version}, {"ReleaseVersion", rel.Version}},
		CreatedAt: now, token: in.ClientRequestToken, oldVersion: ng.LTVersion, newVersion: strconv.FormatInt(n, 10),
		newImage: rel.AMI, newRelease: rel.Version}
	ng.updates = append(ng.updates, u)
	ng.Status, ng.ModifiedAt = statusUpdating, now
	s.startVersionUpdate(ng, u)
	return map[string]any{"update": u.json()}, nil
}

// startVersionUpdate is the setup phase: the group on the new version, then the
// replacement. A group Auto Scaling refuses fails the update at once.
func (s *Service) startVersionUpdate(ng *nodegroup, u *update) {
	as := s.srv.AutoScaling
	fail := func(code, msg string) {
		u.Status = updateFailed
		u.Errors = []errorDetail{{ErrorCode: code, ErrorMessage: msg, ResourceIDs: []string{ng.ASG}}}
		ng.Status = statusActive
	}
	if as == nil {
		fail("Unknown", "awsemu: no Auto Scaling service")
		return
	}
	g, ok := as.Group(ng.Region, ng.ASG)
	if !ok {
		fail("Unknown", fmt.Sprintf("Auto Scaling group %s not found", ng.ASG))
		return
	}
	g.LaunchTemplateVersion = u.newVersion
	g.Instances = nil
	if err := as.UpdateGroup(g); err != nil {
		fail("Unknown", err.Error())
		return
	}
	id, err := as.StartInstanceRefresh(ng.Region, ng.ASG, refreshSpec(ng.UpdateConfig, g.DesiredCapacity))
	if err != nil {
		s.restoreVersion(ng, u)
		fail("Unknown", err.Error())
		return
	}
	u.refreshID = id
}

// restoreVersion points the group back at the version before a failed update.
func (s *Service) restoreVersion(ng *nodegroup, u *update) {
	if g, ok := s.srv.AutoScaling.Group(ng.Region, ng.ASG); ok && u.oldVersion != "" {
		g.LaunchTemplateVersion = u.oldVersion
		g.Instances = nil
		_ = s.srv.AutoScaling.UpdateGroup(g)
	}
}

func (s *Service) describeUpdate(r *awsemu.Request, cluster, id string) (any, *restjson.Error) {
	q := r.HTTP.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.cluster(r.Region, cluster); err != nil {
		return nil, err
	}
	notFound := ngError(http.StatusNotFound, "ResourceNotFoundException", cluster, q.Get("nodegroupName"), "No update found for ID: %s", id)
	// "nodegroupName … This parameter is required if the update is a node group update."
	// https://docs.aws.amazon.com/eks/latest/APIReference/API_DescribeUpdate.html
	ngName := q.Get("nodegroupName")
	if ngName == "" {
		return nil, notFound // awsemu serves no cluster or add-on updates
	}
	ng, err := s.findNodegroup(r.Region, cluster, ngName)
	if err != nil {
		return nil, err
	}
	for _, u := range ng.updates {
		if u.ID == id {
			return map[string]any{"update": u.json()}, nil
		}
	}
	return nil, notFound
}

func (s *Service) listUpdates(r *awsemu.Request, cluster string) (any, *restjson.Error) {
	q := r.HTTP.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.cluster(r.Region, cluster); err != nil {
		return nil, err
	}
	ids := []string{}
	if ngName := q.Get("nodegroupName"); ngName != "" {
		ng, err := s.findNodegroup(r.Region, cluster, ngName)
		if err != nil {
			return nil, err
		}
		for _, u := range ng.updates {
			ids = append(ids, u.ID)
		}
	} else if addon := q.Get("addonName"); addon != "" {
		return nil, ngError(http.StatusNotFound, "ResourceNotFoundException", cluster, "", "No addon: %s found in cluster: %s", addon, cluster)
	}
	start, end, next, err := pageQuery(r, "updates:"+cluster+"/"+q.Get("nodegroupName"), len(ids))
	if err != nil {
		return nil, err
	}
	out := map[string]any{"updateIds": ids[start:end]}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// Tick moves node groups and their updates on the clock (awsemu.Ticker): CREATING turns
// ACTIVE when the Auto Scaling group has its desired instances InService, config updates
// end after ConfigUpdateDuration, version updates follow the group's replacement, and
// DELETING node groups go once their group has no instance left. Serve moves them again
// before answering an EKS request, after every service of the world has ticked, so an EKS
// answer reflects Auto Scaling's state of the same request whatever the registration
// order. The world ticks EKS before Auto Scaling (registration order), so Tick first moves
// Auto Scaling to now itself (its Tick is idempotent for one instant): a node group is
// judged on its group's state of the same instant, and one whose instances turn InService
// in the tick that passes the create deadline turns ACTIVE, not CREATE_FAILED.
func (s *Service) Tick(now time.Time) {
	if t, ok := s.srv.AutoScaling.(awsemu.Ticker); ok {
		t.Tick(now) // outside s.mu, as the server calls every Ticker
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
}

// advance moves every node group to now; s.mu is held.
func (s *Service) advance(now time.Time) {
	as := s.srv.AutoScaling
	if as == nil {
		return
	}
	for key, ng := range s.nodegroups {
		switch ng.Status {
		case statusCreating:
			s.tickCreating(ng, now)
		case statusUpdating:
			s.tickUpdating(ng, now)
		case statusDeleting:
			g, ok := as.Group(ng.Region, ng.ASG)
			if ok && live(g) > 0 {
				continue
			}
			if ok {
				_ = as.DeleteGroup(ng.Region, ng.ASG)
			}
			// EKS deletes the launch template it made for the node group.
			if w, isW := s.srv.EC2.(awsemu.LaunchTemplateWriter); isW && ng.ownLT {
				_ = w.DeleteLaunchTemplate(ng.Region, ng.LTID)
			}
			delete(s.nodegroups, key)
		}
	}
}

// live counts a group's instances that are not yet gone (Terminating ones included).
func live(g awsemu.AutoScalingGroup) int {
	n := 0
	for _, in := range g.Instances {
		if in.LifecycleState != "Terminated" {
			n++
		}
	}
	return n
}

func (s *Service) tickCreating(ng *nodegroup, now time.Time) {
	g, ok := s.srv.AutoScaling.Group(ng.Region, ng.ASG)
	if !ok {
		return
	}
	var ready int64
	var waiting []string
	for _, in := range g.Instances {
		if in.LifecycleState == "InService" && in.HealthStatus != "Unhealthy" {
			ready++
		} else if !strings.HasPrefix(in.LifecycleState, "Terminat") {
			waiting = append(waiting, in.ID)
		}
	}
	// The timeout is the instances' time to join, counted from their launch: the server's
	// clock moves only with requests, so after an idle spell (20 minutes pass in 2 s of the
	// sandbox at 600x) Auto Scaling launches them in the same tick that finds the create
	// deadline passed; judged then, the node group would fail with instances a moment old.
	// Auto Scaling ticks first (see Tick), so the first tick that sees the group's
	// instances is the one that launched them. A group whose launches all fail has none and
	// fails at the create deadline.
	if ng.joinDeadline.IsZero() && len(g.Instances) > 0 {
		ng.joinDeadline = now.Add(NodegroupCreateTimeout)
	}
	deadline := ng.createDeadline
	if ng.joinDeadline.After(deadline) {
		deadline = ng.joinDeadline
	}
	switch {
	case ready >= ng.Scaling.Desired:
		ng.Status, ng.ModifiedAt = statusActive, now
	case !now.Before(deadline):
		// NodeCreationFailure: "Your launched instances are unable to register with your
		// Amazon EKS cluster." (Issue code, API reference).
		// https://docs.aws.amazon.com/eks/latest/APIReference/API_Issue.html
		ng.Status, ng.ModifiedAt = statusCreateFailed, now
		ng.Issues = []issue{{Code: "NodeCreationFailure", Message: "Instances failed to join the kubernetes cluster", ResourceIDs: waiting}}
	}
}

func (s *Service) tickUpdating(ng *nodegroup, now time.Time) {
	u := ng.current()
	if u == nil {
		ng.Status, ng.ModifiedAt = statusActive, now
		return
	}
	switch u.Type {
	case "ConfigUpdate":
		if !now.Before(u.doneAt) {
			u.Status = updateSuccessful
			ng.Status, ng.ModifiedAt = statusActive, now
		}
	case "VersionUpdate":
		info, ok := s.srv.AutoScaling.InstanceRefresh(ng.Region, ng.ASG, u.refreshID)
		if !ok {
			return
		}
		switch info.Status {
		case "Successful":
			u.Status = updateSuccessful
			ng.LTVersion, ng.ReleaseVersion = u.newVersion, u.newRelease
			ng.Status, ng.ModifiedAt = statusActive, now
		case "Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed":
			// The node group goes back to its previous configuration, ACTIVE.
			u.Status = updateFailed
			msg := info.StatusReason
			if msg == "" {
				msg = "Replacing the node group's instances ended " + info.Status
			}
			u.Errors = []errorDetail{{ErrorCode: "NodeCreationFailure", ErrorMessage: msg, ResourceIDs: []string{ng.ASG}}}
			s.restoreVersion(ng, u)
			ng.Status, ng.ModifiedAt = statusActive, now
		}
	}
}

func encodePageToken(prefix string, n int) string {
	return encodeToken(n) + "." + fmt.Sprintf("%08x", fnv(prefix))
}

func decodePageToken(prefix, tok string) (int, error) {
	body, sum, ok := strings.Cut(tok, ".")
	if !ok || sum != fmt.Sprintf("%08x", fnv(prefix)) {
		return 0, fmt.Errorf("token of another list")
	}
	return decodeToken(body)
}
