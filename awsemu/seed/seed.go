package seed

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"sync"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/catalog"
)

// regions are the regions the public world is seeded in: every region EC2 enables by
// default (what DescribeRegions answers without AllRegions), so that `--region all` finds
// the public parameters everywhere, as on AWS. The first six are the ones most examples use.
var regions = []string{
	"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1",
	"us-west-1", "ca-central-1", "sa-east-1", "eu-west-2", "eu-west-3", "eu-north-1",
	"ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-2",
}

// Releases are the monthly EKS-optimized Windows AMI release dates of the seed, oldest
// first; the Windows Server base AMIs are released the day before each.
var Releases = []time.Time{
	time.Date(2026, 8, 13, 0, 0, 0, 0, time.UTC),
	time.Date(2026, 9, 11, 0, 0, 0, 0, time.UTC),
	time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC),
}

// Volume sizes of the seeded AMIs' root devices, GiB.
const (
	EKSVolumeGiB  = 50
	BaseVolumeGiB = 30
)

// AMI creation and parameter update times within a release day.
const (
	amiCreatedAt     = 9 * time.Hour
	parameterWritten = 17*time.Hour + 30*time.Minute
)

// Regions lists the seeded regions.
func Regions() []string { return append([]string(nil), regions...) }

// ImageID is the deterministic AMI id of the AMI named name in region.
func ImageID(region, name string) string { return "ami-" + hash(region + "/" + name)[:17] }

// SnapshotID is the deterministic id of the root snapshot of the AMI named name in region.
func SnapshotID(region, name string) string {
	return "snap-" + hash(region + "/" + name + "/dev/sda1")[:17]
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// world is the seed, built once; callers get deep copies.
type world struct {
	images []awsemu.Image
	params []awsemu.Parameter
}

var (
	once  sync.Once
	built world
)

func get() *world {
	once.Do(func() { built = build() })
	return &built
}

// Images returns the seeded Amazon-owned AMIs of every region (a fresh copy).
func Images() []awsemu.Image {
	src := get().images
	out := make([]awsemu.Image, len(src))
	for i, img := range src {
		img.BlockDevices = append([]awsemu.BlockDevice(nil), img.BlockDevices...)
		img.LaunchPermissions = append([]string(nil), img.LaunchPermissions...)
		img.Tags = maps.Clone(img.Tags)
		out[i] = img
	}
	return out
}

// Parameters returns the seeded SSM public parameters of every region, each with its
// history oldest first (a fresh copy).
func Parameters() []awsemu.Parameter {
	src := get().params
	out := make([]awsemu.Parameter, len(src))
	for i, p := range src {
		p.History = append([]awsemu.ParameterVersion(nil), p.History...)
		out[i] = p
	}
	return out
}

// EKSReleases returns the release dates of the EKS-optimized AMIs of Kubernetes version
// k8s, oldest first: the newest catalog version was released after the first seeded
// month, so it has one release fewer.
func EKSReleases(k8s string) []time.Time {
	if k8s == catalog.LatestKubernetes() {
		return append([]time.Time(nil), Releases[1:]...)
	}
	return append([]time.Time(nil), Releases...)
}

// BaseReleases returns the release dates of the Windows Server base AMIs, oldest first.
func BaseReleases() []time.Time {
	out := make([]time.Time, len(Releases))
	for i, d := range Releases {
		out[i] = d.AddDate(0, 0, -1)
	}
	return out
}

func build() world {
	var w world
	for _, region := range regions {
		owner := catalog.OwnerFor(region)
		for _, win := range catalog.WindowsVersions() {
			for _, ed := range catalog.Editions {
				// Windows Server base AMIs.
				base := awsemu.Parameter{Name: catalog.BaseParameter(win.Version, ed), Region: region, Type: "String"}
				for _, d := range BaseReleases() {
					name := catalog.BaseAMIName(win.Version, ed, d.Format("2006.01.02"))
					img := image(region, owner, name, d, BaseVolumeGiB,
						"Microsoft Windows Server "+win.Version+" "+string(ed)+" Locale English AMI provided by Amazon")
					w.images = append(w.images, img)
					base.History = append(base.History, awsemu.ParameterVersion{
						Value: img.ID, DataType: "text", LastModified: d.Add(parameterWritten),
					})
				}
				w.params = append(w.params, base)

				// EKS-optimized AMIs.
				for _, k8s := range catalog.KubernetesVersions() {
					if catalog.Supported(win.Version, k8s) != nil {
						continue
					}
					p := awsemu.Parameter{Name: catalog.EKSOptimizedParameter(win.Version, ed, k8s), Region: region, Type: "String"}
					for _, d := range EKSReleases(k8s) {
						name := catalog.EKSOptimizedAMIName(win.Version, ed, k8s, d.Format("2006.01.02"))
						img := image(region, owner, name, d, EKSVolumeGiB,
							"Microsoft Windows Server "+win.Version+" "+string(ed)+" optimized for EKS and built for Kubernetes version "+k8s)
						w.images = append(w.images, img)
						p.History = append(p.History, awsemu.ParameterVersion{
							Value: img.ID, DataType: "text", LastModified: d.Add(parameterWritten),
						})
					}
					w.params = append(w.params, p)
				}
			}
		}
	}
	return w
}

func image(region, owner, name string, released time.Time, sizeGiB int32, description string) awsemu.Image {
	created := released.Add(amiCreatedAt)
	return awsemu.Image{
		ID:              ImageID(region, name),
		Region:          region,
		Name:            name,
		Description:     description,
		OwnerID:         owner,
		CreationDate:    created,
		DeprecationTime: created.AddDate(2, 0, 0),
		State:           "available",
		Public:          true,
		Platform:        "windows",
		PlatformDetails: "Windows",
		Architecture:    "x86_64",
		RootDeviceName:  "/dev/sda1",
		BlockDevices: []awsemu.BlockDevice{{
			DeviceName: "/dev/sda1",
			SnapshotID: SnapshotID(region, name),
			VolumeSize: sizeGiB,
			VolumeType: "gp3",
		}},
	}
}
