package ec2

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/query"
)

var (
	amiIDPattern   = regexp.MustCompile(`^ami-([0-9a-f]{8}|[0-9a-f]{17})$`)
	amiNamePattern = regexp.MustCompile(`^[a-zA-Z0-9()\[\] ./\-'@_]{3,128}$`)
)

type ebsXML struct {
	SnapshotID          string `xml:"snapshotId,omitempty"`
	VolumeSize          int32  `xml:"volumeSize,omitempty"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
	VolumeType          string `xml:"volumeType,omitempty"`
	Encrypted           bool   `xml:"encrypted"`
}

type blockDeviceXML struct {
	DeviceName string  `xml:"deviceName"`
	Ebs        *ebsXML `xml:"ebs,omitempty"`
}

type imageXML struct {
	ImageID            string                      `xml:"imageId"`
	ImageLocation      string                      `xml:"imageLocation"`
	State              string                      `xml:"imageState"`
	OwnerID            string                      `xml:"imageOwnerId"`
	CreationDate       string                      `xml:"creationDate"`
	Public             bool                        `xml:"isPublic"`
	Architecture       string                      `xml:"architecture"`
	ImageType          string                      `xml:"imageType"`
	Platform           string                      `xml:"platform,omitempty"`
	PlatformDetails    string                      `xml:"platformDetails"`
	UsageOperation     string                      `xml:"usageOperation"`
	ImageOwnerAlias    string                      `xml:"imageOwnerAlias,omitempty"`
	Name               string                      `xml:"name"`
	Description        string                      `xml:"description,omitempty"`
	RootDeviceType     string                      `xml:"rootDeviceType"`
	RootDeviceName     string                      `xml:"rootDeviceName"`
	BlockDeviceMapping query.Items[blockDeviceXML] `xml:"blockDeviceMapping"`
	VirtualizationType string                      `xml:"virtualizationType"`
	Tags               *query.Items[tagXML]        `xml:"tagSet,omitempty"`
	Hypervisor         string                      `xml:"hypervisor"`
	EnaSupport         bool                        `xml:"enaSupport"`
	SriovNetSupport    string                      `xml:"sriovNetSupport"`
	BootMode           string                      `xml:"bootMode,omitempty"`
	DeprecationTime    string                      `xml:"deprecationTime,omitempty"`
	SourceInstanceID   string                      `xml:"sourceInstanceId,omitempty"`
}

func (img *image) xml() imageXML {
	x := imageXML{
		ImageID:            img.ID,
		ImageLocation:      img.OwnerID + "/" + img.Name,
		State:              img.State,
		OwnerID:            img.OwnerID,
		CreationDate:       query.Time(img.CreationDate),
		Public:             img.Public,
		Architecture:       img.Architecture,
		ImageType:          "machine",
		Platform:           img.Platform,
		PlatformDetails:    img.PlatformDetails,
		UsageOperation:     "RunInstances",
		Name:               img.Name,
		Description:        img.Description,
		RootDeviceType:     "ebs",
		RootDeviceName:     img.RootDeviceName,
		VirtualizationType: "hvm",
		Hypervisor:         "xen",
		EnaSupport:         true,
		SriovNetSupport:    "simple",
		SourceInstanceID:   img.SourceInstanceID,
		BlockDeviceMapping: query.Items[blockDeviceXML]{Items: []blockDeviceXML{}},
	}
	if img.Platform == "windows" {
		x.UsageOperation = "RunInstances:0002"
	}
	if amazonOwners[img.OwnerID] {
		x.ImageOwnerAlias = "amazon"
		x.ImageLocation = "amazon/" + img.Name
	}
	if !img.DeprecationTime.IsZero() {
		x.DeprecationTime = query.Time(img.DeprecationTime)
	}
	for _, bd := range img.BlockDevices {
		x.BlockDeviceMapping.Items = append(x.BlockDeviceMapping.Items, blockDeviceXML{
			DeviceName: bd.DeviceName,
			Ebs:        &ebsXML{SnapshotID: bd.SnapshotID, VolumeSize: bd.VolumeSize, VolumeType: bd.VolumeType, DeleteOnTermination: true, Encrypted: bd.Encrypted},
		})
	}
	if len(img.Tags) > 0 {
		t := tagSet(img.Tags)
		x.Tags = &t
	}
	return x
}

// visible reports whether account may see (launch) the image.
func (img *image) visible(account string) bool {
	return img.OwnerID == account || img.Public || containsStr(img.LaunchPermissions, account)
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (img *image) field(name string) []string {
	switch name {
	case "name":
		return []string{img.Name}
	case "state":
		return []string{img.State}
	case "owner-id":
		return []string{img.OwnerID}
	case "owner-alias":
		if amazonOwners[img.OwnerID] {
			return []string{"amazon"}
		}
		return nil
	case "platform":
		if img.Platform != "" {
			return []string{img.Platform}
		}
		return nil
	case "platform-details":
		return []string{img.PlatformDetails}
	case "image-id":
		return []string{img.ID}
	case "is-public":
		return []string{strconv.FormatBool(img.Public)}
	case "architecture":
		return []string{img.Architecture}
	case "description":
		return []string{img.Description}
	case "image-type":
		return []string{"machine"}
	case "root-device-type":
		return []string{"ebs"}
	case "root-device-name":
		return []string{img.RootDeviceName}
	case "virtualization-type":
		return []string{"hvm"}
	case "hypervisor":
		return []string{"xen"}
	case "creation-date":
		return []string{query.Time(img.CreationDate)}
	case "block-device-mapping.snapshot-id":
		var out []string
		for _, bd := range img.BlockDevices {
			out = append(out, bd.SnapshotID)
		}
		return out
	case "block-device-mapping.device-name":
		var out []string
		for _, bd := range img.BlockDevices {
			out = append(out, bd.DeviceName)
		}
		return out
	case "source-instance-id":
		return []string{img.SourceInstanceID}
	}
	return nil
}

var imageFilters = knownSet("name", "state", "owner-id", "owner-alias", "platform", "platform-details", "image-id",
	"is-public", "architecture", "description", "image-type", "root-device-type", "root-device-name",
	"virtualization-type", "hypervisor", "creation-date", "block-device-mapping.snapshot-id",
	"block-device-mapping.device-name", "source-instance-id")

func (s *Service) describeImages(c *call) (any, *apiError) {
	ids := c.v.List("ImageId")
	owners := c.v.List("Owner")
	execBy := c.v.List("ExecutableBy")
	if len(ids) > 0 && c.v.Has("MaxResults") {
		return nil, errf("InvalidParameterCombination", "The parameter imageIdsSet cannot be used with the parameter maxResults")
	}
	for _, id := range ids {
		if !amiIDPattern.MatchString(id) {
			return nil, errf("InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", id)
		}
	}
	fs, aerr := parseFilters(c.v, imageFilters)
	if aerr != nil {
		return nil, aerr
	}
	includeDeprecated, _ := c.v.Bool("IncludeDeprecated")
	// "A disabled AMI does not appear in DescribeImages API calls by default"; IncludeDisabled
	// lists the caller's own disabled AMIs (a disabled AMI has no launch permissions left).
	// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DisableImage.html
	// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImages.html
	includeDisabled, _ := c.v.Bool("IncludeDisabled")
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	var missing []string
	for _, id := range ids {
		if img := c.rs.images[id]; img == nil || !img.visible(c.account) {
			if c.rs.deregistered[id] {
				continue
			}
			missing = append(missing, id)
		}
	}
	// As on AWS, a deregistered id is no error (it is just not listed); an unknown one is.
	if len(missing) > 0 {
		return nil, errf("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", strings.Join(missing, ", "))
	}
	var match []string
	for _, id := range slices.Sorted(maps.Keys(c.rs.images)) {
		img := c.rs.images[id]
		if !img.visible(c.account) {
			continue
		}
		if len(ids) > 0 && !containsStr(ids, id) {
			continue
		}
		if img.State == "disabled" && !includeDisabled {
			continue
		}
		if len(owners) > 0 && !ownerMatches(owners, img.OwnerID, c.account) {
			continue
		}
		if len(execBy) > 0 && !execMatches(execBy, img, c.account) {
			continue
		}
		// A deprecated AMI is hidden from a listing by another account unless the request
		// names its id or sets IncludeDeprecated; its owner always sees it. "the deprecated AMI
		// does not appear in DescribeImages API calls unless you specify its ID or specify that
		// deprecated AMIs must appear. AMI owners continue to see deprecated AMIs"
		// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-deprecate.html; EC2 API
		// reference, DescribeImages, IncludeDeprecated).
		if len(ids) == 0 && !includeDeprecated && img.OwnerID != c.account &&
			!img.DeprecationTime.IsZero() && !c.now.Before(img.DeprecationTime) {
			continue
		}
		if !matchFilters(fs, img.Tags, img.field) {
			continue
		}
		match = append(match, id)
	}
	pageIDs, next, aerr := page(c, match, 5, 1000, 0)
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		Images    query.Items[imageXML] `xml:"imagesSet"`
		NextToken string                `xml:"nextToken,omitempty"`
	}{Images: query.Items[imageXML]{Items: []imageXML{}}, NextToken: next}
	for _, id := range pageIDs {
		out.Images.Items = append(out.Images.Items, c.rs.images[id].xml())
	}
	return out, nil
}

func ownerMatches(owners []string, owner, account string) bool {
	for _, o := range owners {
		switch {
		case o == "self" && owner == account:
			return true
		case o == "amazon" && amazonOwners[owner]:
			return true
		case o == owner:
			return true
		}
	}
	return false
}

func execMatches(execBy []string, img *image, account string) bool {
	for _, e := range execBy {
		switch {
		case e == "all" && img.Public:
			return true
		case e == "self" && (img.OwnerID == account || containsStr(img.LaunchPermissions, account)):
			return true
		case containsStr(img.LaunchPermissions, e):
			return true
		}
	}
	return false
}

// ownedImage finds an image the caller may modify.
func ownedImage(c *call, id string) (*image, *apiError) {
	if id == "" {
		return nil, errf("MissingParameter", "The request must contain the parameter ImageId")
	}
	if !amiIDPattern.MatchString(id) {
		return nil, errf("InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", id)
	}
	img := c.rs.images[id]
	if img == nil && c.rs.deregistered[id] {
		return nil, errf("InvalidAMIID.Unavailable", "The image id '[%s]' is no longer available", id)
	}
	if img == nil || !img.visible(c.account) {
		return nil, errf("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", id)
	}
	if img.OwnerID != c.account {
		return nil, errf("AuthFailure", "Not authorized for image:%s", id)
	}
	return img, nil
}

func (s *Service) deregisterImage(c *call) (any, *apiError) {
	img, aerr := ownedImage(c, c.v.Get("ImageId"))
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.authorizeCaller(c, "ec2:DeregisterImage", img.ID, img.Tags, nil); aerr != nil {
		return nil, aerr
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	delete(c.rs.images, img.ID)
	c.rs.deregistered[img.ID] = true
	delete(c.rs.fastLaunch, img.ID)
	type result struct {
		SnapshotID string `xml:"snapshotId"`
		ReturnCode string `xml:"returnCode"`
	}
	out := struct {
		Return  bool                 `xml:"return"`
		Results *query.Items[result] `xml:"deleteSnapshotResultSet,omitempty"`
	}{Return: true}
	if del, _ := c.v.Bool("DeleteAssociatedSnapshots"); del {
		out.Results = &query.Items[result]{Items: []result{}}
		for _, bd := range img.BlockDevices {
			code := "success"
			switch {
			case c.rs.snapshots[bd.SnapshotID] == nil:
				code = "error"
			case snapshotInUse(c.rs, bd.SnapshotID) != "":
				code = "error"
			default:
				delete(c.rs.snapshots, bd.SnapshotID)
			}
			out.Results.Items = append(out.Results.Items, result{bd.SnapshotID, code})
		}
	}
	return out, nil
}

// blockDevices reads BlockDeviceMapping.N.
func blockDevices(v query.Values) []awsemu.BlockDevice {
	var out []awsemu.BlockDevice
	for _, b := range v.Structs("BlockDeviceMapping") {
		if b.Has("NoDevice") {
			continue
		}
		size, _, _ := b.Int("Ebs.VolumeSize")
		out = append(out, awsemu.BlockDevice{
			DeviceName: b.Get("DeviceName"),
			SnapshotID: b.Get("Ebs.SnapshotId"),
			VolumeSize: int32(size),
			VolumeType: b.Get("Ebs.VolumeType"),
		})
	}
	return out
}

func checkImageName(rs *regionState, name, account string) *apiError {
	if name == "" {
		return errf("MissingParameter", "The request must contain the parameter name")
	}
	if !amiNamePattern.MatchString(name) {
		return errf("InvalidAMIName.Malformed", "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/' and '_'")
	}
	for _, img := range rs.images {
		if img.OwnerID == account && img.Name == name {
			return errf("InvalidAMIName.Duplicate", "AMI name %s is already in use by AMI %s", name, img.ID)
		}
	}
	return nil
}

func (s *Service) registerImage(c *call) (any, *apiError) {
	name := c.v.Get("Name")
	if aerr := checkImageName(c.rs, name, c.account); aerr != nil {
		return nil, aerr
	}
	bds := blockDevices(c.v)
	platform := ""
	for i, bd := range bds {
		if bd.SnapshotID == "" {
			continue
		}
		snap := c.rs.snapshots[bd.SnapshotID]
		if snap == nil || snap.OwnerID != c.account {
			return nil, errf("InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.", bd.SnapshotID)
		}
		if bds[i].VolumeSize == 0 {
			bds[i].VolumeSize = snap.VolumeSize
		}
		if snap.Platform != "" {
			platform = snap.Platform
		}
	}
	if len(bds) == 0 {
		return nil, errf("InvalidParameterValue", "At least one block device mapping with a snapshot is required for an EBS-backed image")
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	root := c.v.Get("RootDeviceName")
	if root == "" {
		root = bds[0].DeviceName
	}
	arch := c.v.Get("Architecture")
	if arch == "" {
		arch = "x86_64"
	}
	img := awsemu.Image{
		Region: c.region, Name: name, Description: c.v.Get("Description"), OwnerID: c.account,
		CreationDate: c.now, State: "available", Architecture: arch, RootDeviceName: root,
		BlockDevices: bds, Platform: platform, Tags: tagSpecs(c.v, "TagSpecification")["image"],
	}
	stored := s.putImageLocked(img, "")
	return struct {
		ImageID string `xml:"imageId"`
	}{stored.ID}, nil
}

func (s *Service) createImage(c *call) (any, *apiError) {
	in, aerr := findInstance(c, c.v.Get("InstanceId"))
	if aerr != nil {
		return nil, aerr
	}
	name := c.v.Get("Name")
	if aerr := checkImageName(c.rs, name, c.account); aerr != nil {
		return nil, aerr
	}
	if in.State == "terminated" || in.State == "shutting-down" {
		return nil, errf("IncorrectInstanceState", "The instance '%s' is not in a state from which it can be imaged.", in.ID)
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	specs := tagSpecs(c.v, "TagSpecification")
	var bds []awsemu.BlockDevice
	for _, vol := range in.Volumes {
		snap := &snapshot{ID: newID("snap"), VolumeID: vol.ID, OwnerID: c.account, VolumeSize: vol.Size, StartTime: c.now,
			Platform: in.Platform, Description: "Created by CreateImage(" + in.ID + ") for ami-pending", Tags: copyTags(specs["snapshot"])}
		c.rs.snapshots[snap.ID] = snap
		bds = append(bds, awsemu.BlockDevice{DeviceName: vol.DeviceName, SnapshotID: snap.ID, VolumeSize: vol.Size, VolumeType: vol.Type})
	}
	img := awsemu.Image{
		Region: c.region, Name: name, Description: c.v.Get("Description"), OwnerID: c.account,
		CreationDate: c.now, State: "available", Architecture: in.Architecture, RootDeviceName: in.RootDeviceName,
		BlockDevices: bds, Platform: in.Platform, PlatformDetails: in.PlatformDetails, Tags: specs["image"],
	}
	stored := s.putImageLocked(img, in.ID)
	for _, bd := range stored.BlockDevices {
		if snap := c.rs.snapshots[bd.SnapshotID]; snap != nil {
			snap.Description = strings.Replace(snap.Description, "ami-pending", stored.ID, 1)
		}
	}
	return struct {
		ImageID string `xml:"imageId"`
	}{stored.ID}, nil
}

// GetImage returns an image in a region, if it exists (deregistered images are removed).
func (s *Service) GetImage(region, imageID string) (awsemu.Image, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	img := s.region(region).images[imageID]
	if img == nil {
		return awsemu.Image{}, false
	}
	return cloneImage(img.Image), true
}

// PutImage stores an image in img.Region (DefaultRegion when empty), giving it an id,
// snapshots for block devices without one (owned by the image's owner), and defaults
// for state, creation date, architecture and platform details.
func (s *Service) PutImage(img awsemu.Image) awsemu.Image {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putImageLocked(img, "")
}

func (s *Service) putImageLocked(img awsemu.Image, sourceInstance string) awsemu.Image {
	img = cloneImage(img)
	if img.Region == "" {
		img.Region = awsemu.DefaultRegion
	}
	rs := s.region(img.Region)
	if img.ID == "" {
		img.ID = newID("ami")
	}
	if img.OwnerID == "" {
		img.OwnerID = s.srv.Account
	}
	if img.State == "" {
		img.State = "available"
	}
	if img.CreationDate.IsZero() {
		img.CreationDate = s.srv.Clock.Now().UTC()
	}
	if img.Architecture == "" {
		img.Architecture = "x86_64"
	}
	if img.PlatformDetails == "" {
		img.PlatformDetails = "Linux/UNIX"
		if img.Platform == "windows" {
			img.PlatformDetails = "Windows"
		}
	}
	if img.RootDeviceName == "" {
		img.RootDeviceName = "/dev/sda1"
		if len(img.BlockDevices) > 0 {
			img.RootDeviceName = img.BlockDevices[0].DeviceName
		}
	}
	if img.Tags == nil {
		img.Tags = map[string]string{}
	}
	for i, bd := range img.BlockDevices {
		if bd.VolumeType == "" {
			img.BlockDevices[i].VolumeType = "gp3"
		}
		if bd.SnapshotID == "" {
			img.BlockDevices[i].SnapshotID = newID("snap")
		}
		if rs.snapshots[img.BlockDevices[i].SnapshotID] == nil {
			rs.snapshots[img.BlockDevices[i].SnapshotID] = &snapshot{
				ID: img.BlockDevices[i].SnapshotID, VolumeID: "vol-ffffffff", OwnerID: img.OwnerID,
				VolumeSize: bd.VolumeSize, StartTime: img.CreationDate, Platform: img.Platform,
				Description: "Created by CreateImage for " + img.ID, Tags: copyTags(img.SnapshotTags),
				Encrypted: bd.Encrypted, KmsKeyID: bd.KmsKeyID,
			}
		}
	}
	rs.images[img.ID] = &image{Image: img, SourceInstanceID: sourceInstance}
	return cloneImage(img)
}

func cloneImage(img awsemu.Image) awsemu.Image {
	img.LaunchPermissions = append([]string(nil), img.LaunchPermissions...)
	img.LaunchOrganizations = append([]string(nil), img.LaunchOrganizations...)
	img.LaunchOrganizationalUnits = append([]string(nil), img.LaunchOrganizationalUnits...)
	img.BlockDevices = append([]awsemu.BlockDevice(nil), img.BlockDevices...)
	img.Tags = copyTags(img.Tags)
	return img
}
