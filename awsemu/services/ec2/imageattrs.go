package ec2

import (
	"regexp"

	"github.com/winami/winami/awsemu/protocol/query"
)

// Launch permissions and the disabled state of an AMI.
//
// DescribeImageAttribute: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImageAttribute.html
// (launchPermission answers a list of LaunchPermission: userId | group | organizationArn |
// organizationalUnitArn, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LaunchPermission.html).
// ModifyImageAttribute: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyImageAttribute.html
// DisableImage / EnableImage: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DisableImage.html,
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableImage.html

var (
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	orgARNPattern    = regexp.MustCompile(`^arn:aws[a-z-]*:organizations::[0-9]{12}:organization/o-[a-z0-9]{10,32}$`)
	ouARNPattern     = regexp.MustCompile(`^arn:aws[a-z-]*:organizations::[0-9]{12}:ou/o-[a-z0-9]{10,32}/ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`)
)

// imageAttributes are the attribute names DescribeImageAttribute accepts (its Attribute
// enum); awsemu answers launchPermission and description (DIFFERENCES.md).
var imageAttributes = knownSet("description", "kernel", "ramdisk", "launchPermission", "productCodes",
	"blockDeviceMapping", "sriovNetSupport", "bootMode", "tpmSupport", "uefiData", "lastLaunchedTime",
	"imdsSupport", "deregistrationProtection")

type launchPermissionXML struct {
	UserID                string `xml:"userId,omitempty"`
	Group                 string `xml:"group,omitempty"`
	OrganizationArn       string `xml:"organizationArn,omitempty"`
	OrganizationalUnitArn string `xml:"organizationalUnitArn,omitempty"`
}

type attributeValueXML struct {
	Value string `xml:"value"`
}

func (s *Service) describeImageAttribute(c *call) (any, *apiError) {
	attr := c.v.Get("Attribute")
	if attr == "" {
		return nil, errf("MissingParameter", "The request must contain the parameter Attribute")
	}
	if attr == "tag-key" || attr == "tag-value" || !imageAttributes(attr) {
		return nil, errf("InvalidRequest", "Value (%s) for parameter attribute is invalid. Unknown attribute.", attr)
	}
	// Only the owner reads an AMI's attributes (others get AuthFailure, as moto and EC2 do).
	img, aerr := ownedImage(c, c.v.Get("ImageId"))
	if aerr != nil {
		return nil, aerr
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	switch attr {
	case "launchPermission":
		out := struct {
			ImageID string                           `xml:"imageId"`
			Perms   query.Items[launchPermissionXML] `xml:"launchPermission"`
		}{ImageID: img.ID, Perms: query.Items[launchPermissionXML]{Items: []launchPermissionXML{}}}
		if img.Public {
			out.Perms.Items = append(out.Perms.Items, launchPermissionXML{Group: "all"})
		}
		for _, a := range img.LaunchPermissions {
			out.Perms.Items = append(out.Perms.Items, launchPermissionXML{UserID: a})
		}
		for _, a := range img.LaunchOrganizations {
			out.Perms.Items = append(out.Perms.Items, launchPermissionXML{OrganizationArn: a})
		}
		for _, a := range img.LaunchOrganizationalUnits {
			out.Perms.Items = append(out.Perms.Items, launchPermissionXML{OrganizationalUnitArn: a})
		}
		return out, nil
	case "description":
		return struct {
			ImageID     string            `xml:"imageId"`
			Description attributeValueXML `xml:"description"`
		}{img.ID, attributeValueXML{img.Description}}, nil
	}
	return nil, errf("InvalidRequest", "awsemu does not model the image attribute %s (DIFFERENCES.md)", attr)
}

// permissionChange is one list of ModifyImageAttribute's launch permission changes.
type permissionChange struct {
	accounts, orgs, ous []string
	all                 bool
}

func readPermissions(items []query.Values) (permissionChange, *apiError) {
	var p permissionChange
	for _, it := range items {
		switch {
		case it.Get("UserId") != "":
			p.accounts = append(p.accounts, it.Get("UserId"))
		case it.Get("Group") != "":
			if it.Get("Group") != "all" {
				return p, errf("InvalidParameterValue", "Value (%s) for parameter group is invalid. Expecting 'all'.", it.Get("Group"))
			}
			p.all = true
		case it.Get("OrganizationArn") != "":
			p.orgs = append(p.orgs, it.Get("OrganizationArn"))
		case it.Get("OrganizationalUnitArn") != "":
			p.ous = append(p.ous, it.Get("OrganizationalUnitArn"))
		}
	}
	for _, a := range p.accounts {
		if !accountIDPattern.MatchString(a) {
			return p, errf("InvalidUserID.Malformed", "User ID '%s' is invalid", a)
		}
	}
	for _, a := range p.orgs {
		if !orgARNPattern.MatchString(a) {
			return p, errf("InvalidParameterValue", "Organization ARN '%s' is invalid", a)
		}
	}
	for _, a := range p.ous {
		if !ouARNPattern.MatchString(a) {
			return p, errf("InvalidParameterValue", "Organizational unit ARN '%s' is invalid", a)
		}
	}
	return p, nil
}

func addAll(list []string, add []string) []string {
	for _, a := range add {
		if !containsStr(list, a) {
			list = append(list, a)
		}
	}
	return list
}

func removeAll(list []string, rm []string) []string {
	var out []string
	for _, a := range list {
		if !containsStr(rm, a) {
			out = append(out, a)
		}
	}
	return out
}

func (s *Service) modifyImageAttribute(c *call) (any, *apiError) {
	img, aerr := ownedImage(c, c.v.Get("ImageId"))
	if aerr != nil {
		return nil, aerr
	}
	add, aerr := readPermissions(c.v.Structs("LaunchPermission.Add"))
	if aerr != nil {
		return nil, aerr
	}
	rm, aerr := readPermissions(c.v.Structs("LaunchPermission.Remove"))
	if aerr != nil {
		return nil, aerr
	}
	// The older form: OperationType add|remove with UserId.N, UserGroup.N,
	// OrganizationArn.N, OrganizationalUnitArn.N.
	if op := c.v.Get("OperationType"); op != "" {
		var items []query.Values
		for _, u := range c.v.List("UserId") {
			items = append(items, query.Values{"UserId": u})
		}
		for _, g := range c.v.List("UserGroup") {
			items = append(items, query.Values{"Group": g})
		}
		for _, o := range c.v.List("OrganizationArn") {
			items = append(items, query.Values{"OrganizationArn": o})
		}
		for _, o := range c.v.List("OrganizationalUnitArn") {
			items = append(items, query.Values{"OrganizationalUnitArn": o})
		}
		p, aerr := readPermissions(items)
		if aerr != nil {
			return nil, aerr
		}
		switch op {
		case "add":
			add = p
		case "remove":
			rm = p
		default:
			return nil, errf("InvalidParameterValue", "Value (%s) for parameter operationType is invalid. Expecting 'add' or 'remove'.", op)
		}
	}
	desc, hasDesc := c.v.Get("Description.Value"), c.v.Has("Description.Value")
	if !hasDesc && len(add.accounts)+len(add.orgs)+len(add.ous)+len(rm.accounts)+len(rm.orgs)+len(rm.ous) == 0 && !add.all && !rm.all {
		return nil, errf("MissingParameter", "The request must contain a launch permission change or a description")
	}
	// "A disabled AMI can't be shared."
	if img.State == "disabled" && (len(add.accounts)+len(add.orgs)+len(add.ous) > 0 || add.all) {
		return nil, errf("InvalidAMIID.Unavailable", "The image id '[%s]' is disabled and cannot be shared", img.ID)
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	if hasDesc {
		img.Description = desc
	}
	img.LaunchPermissions = removeAll(addAll(img.LaunchPermissions, add.accounts), rm.accounts)
	img.LaunchOrganizations = removeAll(addAll(img.LaunchOrganizations, add.orgs), rm.orgs)
	img.LaunchOrganizationalUnits = removeAll(addAll(img.LaunchOrganizationalUnits, add.ous), rm.ous)
	if add.all {
		img.Public = true
	}
	if rm.all {
		img.Public = false
	}
	return struct {
		Return bool `xml:"return"`
	}{true}, nil
}

// disableImage: "Sets the AMI state to disabled and removes all launch permissions from
// the AMI ... Only the AMI owner can disable an AMI." Only an available AMI can be disabled.
func (s *Service) disableImage(c *call) (any, *apiError) {
	img, aerr := ownedImage(c, c.v.Get("ImageId"))
	if aerr != nil {
		return nil, aerr
	}
	if img.State != "available" {
		return nil, errf("IncorrectState", "The image '%s' is in state %s, and cannot be disabled", img.ID, img.State)
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	img.State = "disabled"
	img.Public = false
	img.LaunchPermissions, img.LaunchOrganizations, img.LaunchOrganizationalUnits = nil, nil, nil
	return struct {
		Return bool `xml:"return"`
	}{true}, nil
}

// enableImage re-enables a disabled AMI; its launch permissions stay removed.
func (s *Service) enableImage(c *call) (any, *apiError) {
	img, aerr := ownedImage(c, c.v.Get("ImageId"))
	if aerr != nil {
		return nil, aerr
	}
	if img.State != "disabled" {
		return nil, errf("IncorrectState", "The image '%s' is in state %s, and cannot be enabled", img.ID, img.State)
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	img.State = "available"
	return struct {
		Return bool `xml:"return"`
	}{true}, nil
}
