package ec2

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/winami/winami/awsemu/protocol/query"
)

// Spot Fleet requests, EC2 Fleets and Spot Instance requests, as far as they name AMIs:
// awsemu records the request and answers its Describe call with the AMIs it names; it
// launches no instances for them (DIFFERENCES.md).
//
// RequestSpotFleet / DescribeSpotFleetRequests / CancelSpotFleetRequests:
//   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RequestSpotFleet.html
//   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSpotFleetRequests.html
//   (SpotFleetRequestConfig: spotFleetRequestState submitted | active | cancelled | failed |
//   cancelled_running | cancelled_terminating | modifying)
// CreateFleet / DescribeFleets / DeleteFleets:
//   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeFleets.html
//   (FleetData: fleetState submitted | active | deleted | failed | deleted_running |
//   deleted_terminating | modifying; FleetLaunchTemplateOverrides.imageId)
// RequestSpotInstances / DescribeSpotInstanceRequests / CancelSpotInstanceRequests:
//   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSpotInstanceRequests.html
//   (SpotInstanceRequest: state open | active | closed | cancelled | failed | disabled)

type spotFleet struct {
	ID             string
	State          string
	Created        time.Time
	Type           string
	IamFleetRole   string
	TargetCapacity int64
	LaunchSpecs    []query.Values // LaunchSpecifications.N.*
	LTConfigs      []query.Values // LaunchTemplateConfigs.N.*
	Tags           map[string]string
}

type fleet struct {
	ID             string
	State          string
	Created        time.Time
	Type           string
	TargetCapacity int64
	CapacityType   string
	LTConfigs      []query.Values
	Tags           map[string]string
}

type spotRequest struct {
	ID           string
	State        string
	Type         string
	Created      time.Time
	ImageID      string
	InstanceType string
	Tags         map[string]string
}

type ltSpecXML struct {
	LaunchTemplateID   string `xml:"launchTemplateId,omitempty"`
	LaunchTemplateName string `xml:"launchTemplateName,omitempty"`
	Version            string `xml:"version,omitempty"`
}

type overrideXML struct {
	ImageID          string `xml:"imageId,omitempty"`
	InstanceType     string `xml:"instanceType,omitempty"`
	SubnetID         string `xml:"subnetId,omitempty"`
	AvailabilityZone string `xml:"availabilityZone,omitempty"`
}

type ltConfigXML struct {
	Spec      ltSpecXML                `xml:"launchTemplateSpecification"`
	Overrides query.Items[overrideXML] `xml:"overrides"`
}

func ltConfigs(cfgs []query.Values, withImage bool) query.Items[ltConfigXML] {
	out := query.Items[ltConfigXML]{Items: []ltConfigXML{}}
	for _, c := range cfgs {
		x := ltConfigXML{Spec: ltSpecXML{
			LaunchTemplateID:   c.Get("LaunchTemplateSpecification.LaunchTemplateId"),
			LaunchTemplateName: c.Get("LaunchTemplateSpecification.LaunchTemplateName"),
			Version:            c.Get("LaunchTemplateSpecification.Version"),
		}, Overrides: query.Items[overrideXML]{Items: []overrideXML{}}}
		for _, o := range c.Structs("Overrides") {
			ov := overrideXML{InstanceType: o.Get("InstanceType"), SubnetID: o.Get("SubnetId"), AvailabilityZone: o.Get("AvailabilityZone")}
			if withImage {
				ov.ImageID = o.Get("ImageId")
			}
			x.Overrides.Items = append(x.Overrides.Items, ov)
		}
		out.Items = append(out.Items, x)
	}
	return out
}

// checkImageRefs validates the syntax of the AMI ids a request names.
func checkImageRefs(ids ...string) *apiError {
	for _, id := range ids {
		if id != "" && !amiIDPattern.MatchString(id) {
			return errf("InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", id)
		}
	}
	return nil
}

func (s *Service) requestSpotFleet(c *call) (any, *apiError) {
	cfg := c.v.Struct("SpotFleetRequestConfig")
	if cfg.Get("IamFleetRole") == "" {
		return nil, errf("MissingParameter", "The request must contain the parameter IamFleetRole")
	}
	target, ok, err := cfg.Int("TargetCapacity")
	if err != nil || !ok {
		return nil, errf("MissingParameter", "The request must contain the parameter TargetCapacity")
	}
	specs, lts := cfg.Structs("LaunchSpecifications"), cfg.Structs("LaunchTemplateConfigs")
	// "Specify either LaunchSpecifications or LaunchTemplateConfigs" (SpotFleetRequestConfigData).
	if (len(specs) == 0) == (len(lts) == 0) {
		return nil, errf("InvalidSpotFleetRequestConfig", "Specify either LaunchSpecifications or LaunchTemplateConfigs, not both and not neither")
	}
	for _, sp := range specs {
		if sp.Get("ImageId") == "" {
			return nil, errf("MissingParameter", "The request must contain the parameter LaunchSpecifications.ImageId")
		}
		if aerr := checkImageRefs(sp.Get("ImageId")); aerr != nil {
			return nil, aerr
		}
	}
	typ := cfg.Get("Type")
	if typ == "" {
		typ = "maintain"
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	f := &spotFleet{ID: "sfr-" + uuidLike(), State: "active", Created: c.now, Type: typ, IamFleetRole: cfg.Get("IamFleetRole"),
		TargetCapacity: target, LaunchSpecs: specs, LTConfigs: lts, Tags: tagSpecs(c.v, "SpotFleetRequestConfig.TagSpecification")["spot-fleet-request"]}
	if f.Tags == nil {
		f.Tags = tagSpecs(c.v, "TagSpecification")["spot-fleet-request"]
	}
	c.rs.spotFleets[f.ID] = f
	return struct {
		ID string `xml:"spotFleetRequestId"`
	}{f.ID}, nil
}

type spotFleetLaunchSpecXML struct {
	ImageID      string `xml:"imageId"`
	InstanceType string `xml:"instanceType,omitempty"`
	SubnetID     string `xml:"subnetId,omitempty"`
}

type spotFleetXML struct {
	ID       string `xml:"spotFleetRequestId"`
	State    string `xml:"spotFleetRequestState"`
	Activity string `xml:"activityStatus,omitempty"`
	Created  string `xml:"createTime"`
	Config   struct {
		IamFleetRole   string                               `xml:"iamFleetRole"`
		TargetCapacity int64                                `xml:"targetCapacity"`
		Type           string                               `xml:"type"`
		LaunchSpecs    *query.Items[spotFleetLaunchSpecXML] `xml:"launchSpecifications,omitempty"`
		LTConfigs      *query.Items[ltConfigXML]            `xml:"launchTemplateConfigs,omitempty"`
	} `xml:"spotFleetRequestConfig"`
	Tags query.Items[tagXML] `xml:"tagSet"`
}

func (s *Service) describeSpotFleetRequests(c *call) (any, *apiError) {
	ids := c.v.List("SpotFleetRequestId")
	for _, id := range ids {
		if c.rs.spotFleets[id] == nil {
			return nil, errf("InvalidSpotFleetRequestId.NotFound", "The spot fleet request ID '%s' does not exist", id)
		}
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	var match []string
	for _, id := range slices.Sorted(maps.Keys(c.rs.spotFleets)) {
		if len(ids) == 0 || containsStr(ids, id) {
			match = append(match, id)
		}
	}
	pageIDs, next, aerr := page(c, match, 1, 1000, 1000)
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		Set       query.Items[spotFleetXML] `xml:"spotFleetRequestConfigSet"`
		NextToken string                    `xml:"nextToken,omitempty"`
	}{Set: query.Items[spotFleetXML]{Items: []spotFleetXML{}}, NextToken: next}
	for _, id := range pageIDs {
		f := c.rs.spotFleets[id]
		x := spotFleetXML{ID: f.ID, State: f.State, Created: query.Time(f.Created), Tags: tagSet(f.Tags)}
		if f.State == "active" {
			x.Activity = "fulfilled"
		}
		x.Config.IamFleetRole, x.Config.TargetCapacity, x.Config.Type = f.IamFleetRole, f.TargetCapacity, f.Type
		if len(f.LaunchSpecs) > 0 {
			specs := query.Items[spotFleetLaunchSpecXML]{Items: []spotFleetLaunchSpecXML{}}
			for _, sp := range f.LaunchSpecs {
				specs.Items = append(specs.Items, spotFleetLaunchSpecXML{ImageID: sp.Get("ImageId"), InstanceType: sp.Get("InstanceType"), SubnetID: sp.Get("SubnetId")})
			}
			x.Config.LaunchSpecs = &specs
		}
		if len(f.LTConfigs) > 0 {
			// Spot Fleet's LaunchTemplateOverrides have no ImageId (unlike EC2 Fleet's).
			lts := ltConfigs(f.LTConfigs, false)
			x.Config.LTConfigs = &lts
		}
		out.Set.Items = append(out.Set.Items, x)
	}
	return out, nil
}

type cancelSuccessXML struct {
	ID            string `xml:"spotFleetRequestId"`
	CurrentState  string `xml:"currentSpotFleetRequestState"`
	PreviousState string `xml:"previousSpotFleetRequestState"`
}

type cancelErrorXML struct {
	Error struct {
		Code    string `xml:"code"`
		Message string `xml:"message"`
	} `xml:"error"`
	ID string `xml:"spotFleetRequestId"`
}

func (s *Service) cancelSpotFleetRequests(c *call) (any, *apiError) {
	ids := c.v.List("SpotFleetRequestId")
	if len(ids) == 0 {
		return nil, errf("MissingParameter", "The request must contain the parameter SpotFleetRequestId")
	}
	terminate, ok := c.v.Bool("TerminateInstances")
	if !ok {
		return nil, errf("MissingParameter", "The request must contain the parameter TerminateInstances")
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	out := struct {
		OK  query.Items[cancelSuccessXML] `xml:"successfulFleetRequestSet"`
		Bad query.Items[cancelErrorXML]   `xml:"unsuccessfulFleetRequestSet"`
	}{OK: query.Items[cancelSuccessXML]{Items: []cancelSuccessXML{}}, Bad: query.Items[cancelErrorXML]{Items: []cancelErrorXML{}}}
	for _, id := range ids {
		f := c.rs.spotFleets[id]
		if f == nil {
			e := cancelErrorXML{ID: id}
			e.Error.Code, e.Error.Message = "fleetRequestIdDoesNotExist", "The spot fleet request ID '"+id+"' does not exist"
			out.Bad.Items = append(out.Bad.Items, e)
			continue
		}
		prev := f.State
		// Without instances to wait for, cancelled_terminating ends at once.
		f.State = "cancelled"
		if !terminate {
			f.State = "cancelled_running"
		}
		out.OK.Items = append(out.OK.Items, cancelSuccessXML{ID: id, CurrentState: f.State, PreviousState: prev})
	}
	return out, nil
}

func (s *Service) createFleet(c *call) (any, *apiError) {
	lts := c.v.Structs("LaunchTemplateConfigs")
	if len(lts) == 0 {
		return nil, errf("MissingParameter", "The request must contain the parameter LaunchTemplateConfigs")
	}
	for _, lt := range lts {
		for _, o := range lt.Structs("Overrides") {
			if aerr := checkImageRefs(o.Get("ImageId")); aerr != nil {
				return nil, aerr
			}
		}
	}
	target, ok, err := c.v.Int("TargetCapacitySpecification.TotalTargetCapacity")
	if err != nil || !ok {
		return nil, errf("MissingParameter", "The request must contain the parameter TargetCapacitySpecification.TotalTargetCapacity")
	}
	typ := c.v.Get("Type")
	if typ == "" {
		typ = "maintain"
	}
	if typ != "maintain" && typ != "request" && typ != "instant" {
		return nil, errf("InvalidParameterValue", "Value (%s) for parameter Type is invalid. Expecting maintain, request or instant.", typ)
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	f := &fleet{ID: "fleet-" + uuidLike(), State: "active", Created: c.now, Type: typ, TargetCapacity: target,
		CapacityType: c.v.Get("TargetCapacitySpecification.DefaultTargetCapacityType"), LTConfigs: lts,
		Tags: tagSpecs(c.v, "TagSpecification")["fleet"]}
	c.rs.fleets[f.ID] = f
	return struct {
		ID string `xml:"fleetId"`
	}{f.ID}, nil
}

type fleetXML struct {
	ID       string                   `xml:"fleetId"`
	State    string                   `xml:"fleetState"`
	Activity string                   `xml:"activityStatus,omitempty"`
	Created  string                   `xml:"createTime"`
	Type     string                   `xml:"type"`
	Configs  query.Items[ltConfigXML] `xml:"launchTemplateConfigs"`
	Target   struct {
		Total       int64  `xml:"totalTargetCapacity"`
		DefaultType string `xml:"defaultTargetCapacityType,omitempty"`
	} `xml:"targetCapacitySpecification"`
	Tags query.Items[tagXML] `xml:"tagSet"`
}

var fleetFilters = knownSet("fleet-state", "type", "activity-status", "excess-capacity-termination-policy", "replace-unhealthy-instances")

func (s *Service) describeFleets(c *call) (any, *apiError) {
	ids := c.v.List("FleetId")
	fs, aerr := parseFilters(c.v, fleetFilters)
	if aerr != nil {
		return nil, aerr
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	var match []string
	for _, id := range slices.Sorted(maps.Keys(c.rs.fleets)) {
		f := c.rs.fleets[id]
		if len(ids) > 0 && !containsStr(ids, id) {
			continue
		}
		if !matchFilters(fs, f.Tags, func(name string) []string {
			switch name {
			case "fleet-state":
				return []string{f.State}
			case "type":
				return []string{f.Type}
			}
			return nil
		}) {
			continue
		}
		match = append(match, id)
	}
	pageIDs, next, aerr := page(c, match, 1, 1000, 1000)
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		Set       query.Items[fleetXML] `xml:"fleetSet"`
		NextToken string                `xml:"nextToken,omitempty"`
	}{Set: query.Items[fleetXML]{Items: []fleetXML{}}, NextToken: next}
	for _, id := range pageIDs {
		f := c.rs.fleets[id]
		x := fleetXML{ID: f.ID, State: f.State, Created: query.Time(f.Created), Type: f.Type, Configs: ltConfigs(f.LTConfigs, true), Tags: tagSet(f.Tags)}
		if f.State == "active" {
			x.Activity = "fulfilled"
		}
		x.Target.Total, x.Target.DefaultType = f.TargetCapacity, f.CapacityType
		out.Set.Items = append(out.Set.Items, x)
	}
	return out, nil
}

func (s *Service) deleteFleets(c *call) (any, *apiError) {
	ids := c.v.List("FleetId")
	if len(ids) == 0 {
		return nil, errf("MissingParameter", "The request must contain the parameter FleetId")
	}
	terminate, ok := c.v.Bool("TerminateInstances")
	if !ok {
		return nil, errf("MissingParameter", "The request must contain the parameter TerminateInstances")
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	type okXML struct {
		ID       string `xml:"fleetId"`
		Current  string `xml:"currentFleetState"`
		Previous string `xml:"previousFleetState"`
	}
	type badXML struct {
		Error struct {
			Code    string `xml:"code"`
			Message string `xml:"message"`
		} `xml:"error"`
		ID string `xml:"fleetId"`
	}
	out := struct {
		OK  query.Items[okXML]  `xml:"successfulFleetDeletionSet"`
		Bad query.Items[badXML] `xml:"unsuccessfulFleetDeletionSet"`
	}{OK: query.Items[okXML]{Items: []okXML{}}, Bad: query.Items[badXML]{Items: []badXML{}}}
	for _, id := range ids {
		f := c.rs.fleets[id]
		if f == nil {
			b := badXML{ID: id}
			b.Error.Code, b.Error.Message = "fleetIdDoesNotExist", "The fleet ID '"+id+"' does not exist"
			out.Bad.Items = append(out.Bad.Items, b)
			continue
		}
		prev := f.State
		f.State = "deleted"
		if !terminate {
			f.State = "deleted_running"
		}
		out.OK.Items = append(out.OK.Items, okXML{ID: id, Current: f.State, Previous: prev})
	}
	return out, nil
}

func (s *Service) requestSpotInstances(c *call) (any, *apiError) {
	ls := c.v.Struct("LaunchSpecification")
	imageID := ls.Get("ImageId")
	if imageID == "" {
		return nil, errf("MissingParameter", "The request must contain the parameter LaunchSpecification.ImageId")
	}
	if aerr := checkImageRefs(imageID); aerr != nil {
		return nil, aerr
	}
	// The AMI must exist and be launchable by the caller, as for RunInstances.
	if img := c.rs.images[imageID]; img == nil || !img.visible(c.account) || img.State != "available" {
		return nil, errf("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", imageID)
	}
	n := int64(1)
	if v, ok, err := c.v.Int("InstanceCount"); err != nil {
		return nil, errf("InvalidParameterValue", "%s", err.Error())
	} else if ok {
		n = v
	}
	if n < 1 {
		return nil, errf("InvalidParameterValue", "InstanceCount must be at least 1")
	}
	typ := c.v.Get("Type")
	if typ == "" {
		typ = "one-time"
	}
	if typ != "one-time" && typ != "persistent" {
		return nil, errf("InvalidParameterValue", "Value (%s) for parameter Type is invalid. Expecting one-time or persistent.", typ)
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	tags := tagSpecs(c.v, "TagSpecification")["spot-instances-request"]
	out := struct {
		Set query.Items[spotRequestXML] `xml:"spotInstanceRequestSet"`
	}{Set: query.Items[spotRequestXML]{Items: []spotRequestXML{}}}
	for i := int64(0); i < n; i++ {
		r := &spotRequest{ID: "sir-" + strings.ToLower(newID("x")[2:10]), State: "open", Type: typ, Created: c.now,
			ImageID: imageID, InstanceType: ls.Get("InstanceType"), Tags: copyTags(tags)}
		c.rs.spotRequests[r.ID] = r
		out.Set.Items = append(out.Set.Items, r.xml())
	}
	return out, nil
}

type spotRequestXML struct {
	ID      string `xml:"spotInstanceRequestId"`
	State   string `xml:"state"`
	Type    string `xml:"type"`
	Created string `xml:"createTime"`
	Status  struct {
		Code    string `xml:"code"`
		Message string `xml:"message"`
	} `xml:"status"`
	Launch struct {
		ImageID      string `xml:"imageId"`
		InstanceType string `xml:"instanceType,omitempty"`
	} `xml:"launchSpecification"`
	ProductDescription string              `xml:"productDescription"`
	Tags               query.Items[tagXML] `xml:"tagSet"`
}

func (r *spotRequest) xml() spotRequestXML {
	x := spotRequestXML{ID: r.ID, State: r.State, Type: r.Type, Created: query.Time(r.Created), ProductDescription: "Linux/UNIX", Tags: tagSet(r.Tags)}
	x.Launch.ImageID, x.Launch.InstanceType = r.ImageID, r.InstanceType
	switch r.State {
	case "open":
		x.Status.Code, x.Status.Message = "pending-evaluation", "Your Spot request has been submitted for review, and is pending evaluation."
	case "cancelled":
		x.Status.Code, x.Status.Message = "canceled-before-fulfillment", "The Spot request was canceled before it was fulfilled."
	}
	return x
}

var spotRequestFilters = knownSet("state", "type", "spot-instance-request-id", "launch.image-id", "launch.instance-type", "status-code")

func (s *Service) describeSpotInstanceRequests(c *call) (any, *apiError) {
	ids := c.v.List("SpotInstanceRequestId")
	for _, id := range ids {
		if c.rs.spotRequests[id] == nil {
			return nil, errf("InvalidSpotInstanceRequestID.NotFound", "The spot instance request ID '%s' does not exist", id)
		}
	}
	fs, aerr := parseFilters(c.v, spotRequestFilters)
	if aerr != nil {
		return nil, aerr
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	var match []string
	for _, id := range slices.Sorted(maps.Keys(c.rs.spotRequests)) {
		r := c.rs.spotRequests[id]
		if len(ids) > 0 && !containsStr(ids, id) {
			continue
		}
		x := r.xml()
		if !matchFilters(fs, r.Tags, func(name string) []string {
			switch name {
			case "state":
				return []string{r.State}
			case "type":
				return []string{r.Type}
			case "spot-instance-request-id":
				return []string{r.ID}
			case "launch.image-id":
				return []string{r.ImageID}
			case "launch.instance-type":
				return []string{r.InstanceType}
			case "status-code":
				return []string{x.Status.Code}
			}
			return nil
		}) {
			continue
		}
		match = append(match, id)
	}
	pageIDs, next, aerr := page(c, match, 5, 1000, 1000)
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		Set       query.Items[spotRequestXML] `xml:"spotInstanceRequestSet"`
		NextToken string                      `xml:"nextToken,omitempty"`
	}{Set: query.Items[spotRequestXML]{Items: []spotRequestXML{}}, NextToken: next}
	for _, id := range pageIDs {
		out.Set.Items = append(out.Set.Items, c.rs.spotRequests[id].xml())
	}
	return out, nil
}

func (s *Service) cancelSpotInstanceRequests(c *call) (any, *apiError) {
	ids := c.v.List("SpotInstanceRequestId")
	if len(ids) == 0 {
		return nil, errf("MissingParameter", "The request must contain the parameter SpotInstanceRequestId")
	}
	for _, id := range ids {
		if c.rs.spotRequests[id] == nil {
			return nil, errf("InvalidSpotInstanceRequestID.NotFound", "The spot instance request ID '%s' does not exist", id)
		}
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	type item struct {
		ID    string `xml:"spotInstanceRequestId"`
		State string `xml:"state"`
	}
	out := struct {
		Set query.Items[item] `xml:"spotInstanceRequestSet"`
	}{Set: query.Items[item]{Items: []item{}}}
	for _, id := range ids {
		r := c.rs.spotRequests[id]
		r.State = "cancelled"
		out.Set.Items = append(out.Set.Items, item{id, r.State})
	}
	return out, nil
}

// uuidLike is a request id in the 8-4-4-4-12 hex form Spot Fleet and EC2 Fleet ids use.
func uuidLike() string {
	h := strings.TrimPrefix(newID("x"), "x-") + strings.TrimPrefix(newID("x"), "x-")
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
