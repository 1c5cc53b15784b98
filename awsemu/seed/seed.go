package seed

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"sync"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/world"
)

// regions are the regions the public world is seeded in (world.json): every region EC2
// enables by default (what DescribeRegions answers without AllRegions), so that
// `--region all` finds the public parameters everywhere, as on AWS. The first six are the
// ones most examples use.
var regions = world.Regions()

// Releases are the monthly EKS-optimized Windows AMI release dates of the seed, oldest
// first (world.json's seedReleases); the Windows Server base AMIs are released the day
// before each.
var Releases = world.SeedReleases()

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

// seeded is the seed, built once; callers get deep copies.
type seeded struct {
	images []awsemu.Image
	params []awsemu.Parameter
}

var (
	once  sync.Once
	built seeded
)

func get() *seeded {
	once.Do(func() { built = build() })
	return &built
}

// Images returns the seeded Amazon-owned AMIs of every region (a fresh copy).
func Images() []awsemu.Image { return CloneImages(get().images) }

// CloneImages copies src deeply enough that a change to the copy (its block devices,
// launch permissions or tags) leaves src as it was.
func CloneImages(src []awsemu.Image) []awsemu.Image {
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
// k8s, oldest first: the newest Kubernetes version was released after the first seeded
// month, so it has one release fewer.
func EKSReleases(k8s string) []time.Time {
	if k8s == world.LatestKubernetes() {
		return append([]time.Time(nil), Releases[1:]...)
	}
	return append([]time.Time(nil), Releases...)
}

// BaseReleases returns the release dates of the Windows Server base AMIs, oldest first.
func BaseReleases() []time.Time { return world.SeedBaseReleases() }

func build() seeded {
	var w seeded
	for _, region := range regions {
		owner := world.OwnerFor(region)
		for _, fam := range world.Families() {
			// Windows Server base AMIs.
			base := awsemu.Parameter{Name: fam.Base.Parameter, Region: region, Type: "String"}
			for _, d := range BaseReleases() {
				img := image(region, owner, fam.Base.Name(d.Format("2006.01.02")), d, BaseVolumeGiB, fam.Base.Description)
				w.images = append(w.images, img)
				base.History = append(base.History, awsemu.ParameterVersion{
					Value: img.ID, DataType: "text", LastModified: d.Add(parameterWritten),
				})
			}
			w.params = append(w.params, base)

			// EKS-optimized AMIs.
			for _, a := range fam.EKSOptimized {
				p := awsemu.Parameter{Name: a.Parameter, Region: region, Type: "String"}
				for _, d := range EKSReleases(a.Kubernetes) {
					img := image(region, owner, a.Name(d.Format("2006.01.02")), d, EKSVolumeGiB, a.Description)
					w.images = append(w.images, img)
					p.History = append(p.History, awsemu.ParameterVersion{
						Value: img.ID, DataType: "text", LastModified: d.Add(parameterWritten),
					})
				}
				w.params = append(w.params, p)
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
