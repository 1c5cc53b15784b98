package ec2

import (
	"time"

	"github.com/winami/winami/awsemu"
)

// regionState is everything EC2 holds in one region.
type regionState struct {
	name   string
	images map[string]*image
	// deregistered remembers deregistered image ids: DescribeImages by id answers them
	// with an empty list (not NotFound), and deregistering again is InvalidAMIID.Unavailable.
	deregistered map[string]bool
	snapshots    map[string]*snapshot
	instances    map[string]*instance
	templates    map[string]*launchTemplate
	vpcs         map[string]*vpc
	subnets      map[string]*subnet
	groups       map[string]*securityGroup
	fastLaunch   map[string]*fastLaunch
	keyPairs     map[string]*keyPair // by name
	spotFleets   map[string]*spotFleet
	fleets       map[string]*fleet
	spotRequests map[string]*spotRequest
}

type image struct {
	awsemu.Image
	SourceInstanceID string
}

type snapshot struct {
	ID          string
	VolumeID    string
	OwnerID     string
	Description string
	VolumeSize  int32
	StartTime   time.Time
	Platform    string // inherited from the image or instance it came from
	Tags        map[string]string
	// Encrypted and KmsKeyID (key ARN): the snapshot's EBS encryption (DescribeSnapshots).
	Encrypted bool
	KmsKeyID  string
}

type volume struct {
	ID         string
	DeviceName string
	Size       int32
	Type       string
	SnapshotID string
}

type instance struct {
	ID               string
	ReservationID    string
	OwnerID          string
	ImageID          string
	InstanceType     string
	KeyName          string
	State            string
	LaunchTime       time.Time
	LaunchIndex      int
	Platform         string
	PlatformDetails  string
	Architecture     string
	RootDeviceName   string
	Volumes          []volume
	SubnetID         string
	VpcID            string
	AZ               string
	GroupIDs         []string
	PrivateIP        string
	Tags             map[string]string
	IamProfile       string
	StateReason      string
	LaunchTemplateID string
	// LaunchTemplateVersion is the number of the template version launched from.
	LaunchTemplateVersion string
}

type launchTemplate struct {
	ID             string
	Name           string
	CreateTime     time.Time
	CreatedBy      string
	DefaultVersion int64
	Versions       []*templateVersion // index i holds version i+1
	Tags           map[string]string
}

type templateVersion struct {
	Number      int64
	Description string
	CreateTime  time.Time
	Data        templateData
}

type fastLaunch struct {
	ImageID             string
	OwnerID             string
	TargetResourceCount int32
	MaxParallelLaunches int32
	TemplateID          string
	TemplateName        string
	TemplateVersion     string
	State               string
	Reason              string
	TransitionTime      time.Time
	FailReason          string // set: the enabling ends in enabling-failed
}

// NoDefaultVPCReason is the StateTransitionReason of an enabling that failed because no
// launch template was given and the region has no default VPC with a default subnet.
const NoDefaultVPCReason = "Client.InvalidConfiguration: no launch template was specified and the Region has no default VPC with a default subnet to launch the pre-provisioning instances in"

// FastLaunchEnableDelay is how long (on the server's clock) an image stays "enabling".
const FastLaunchEnableDelay = 10 * time.Minute

// FastLaunchDisableDelay is how long an image stays "disabling" before its Fast Launch
// settings are gone.
const FastLaunchDisableDelay = 5 * time.Minute

// region returns (creating on first use) the state of a region. Callers hold s.mu.
func (s *Service) region(name string) *regionState {
	rs := s.regions[name]
	if rs == nil {
		rs = &regionState{
			name:         name,
			images:       map[string]*image{},
			deregistered: map[string]bool{},
			snapshots:    map[string]*snapshot{},
			instances:    map[string]*instance{},
			templates:    map[string]*launchTemplate{},
			fastLaunch:   map[string]*fastLaunch{},
			vpcs:         map[string]*vpc{},
			subnets:      map[string]*subnet{},
			groups:       map[string]*securityGroup{},
			keyPairs:     map[string]*keyPair{},
			spotFleets:   map[string]*spotFleet{},
			fleets:       map[string]*fleet{},
			spotRequests: map[string]*spotRequest{},
		}
		s.newDefaultVPC(rs, s.srv.Account)
		s.regions[name] = rs
	}
	return rs
}

// advance moves time-driven state (Fast Launch) to now. Callers hold s.mu.
func (s *Service) advance(rs *regionState, now time.Time) {
	for id, fl := range rs.fastLaunch {
		switch fl.State {
		case "enabling":
			if t := fl.TransitionTime.Add(FastLaunchEnableDelay); !now.Before(t) {
				fl.TransitionTime = t
				if fl.FailReason != "" {
					fl.State, fl.Reason = "enabling-failed", fl.FailReason
				} else {
					fl.State, fl.Reason = "enabled", "Client.UserInitiated - Lifecycle state transition"
				}
			}
		case "disabling":
			if !now.Before(fl.TransitionTime.Add(FastLaunchDisableDelay)) {
				delete(rs.fastLaunch, id)
			}
		}
	}
}
