package ec2

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/winami/winami/awsemu/protocol/query"
)

var snapIDPattern = regexp.MustCompile(`^snap-([0-9a-f]{8}|[0-9a-f]{17})$`)

type snapshotXML struct {
	SnapshotID  string               `xml:"snapshotId"`
	VolumeID    string               `xml:"volumeId"`
	Status      string               `xml:"status"`
	StartTime   string               `xml:"startTime"`
	Progress    string               `xml:"progress"`
	OwnerID     string               `xml:"ownerId"`
	OwnerAlias  string               `xml:"ownerAlias,omitempty"`
	Description string               `xml:"description"`
	VolumeSize  int32                `xml:"volumeSize"`
	Encrypted   bool                 `xml:"encrypted"`
	KmsKeyID    string               `xml:"kmsKeyId,omitempty"`
	StorageTier string               `xml:"storageTier"`
	Tags        *query.Items[tagXML] `xml:"tagSet,omitempty"`
}

func (sn *snapshot) xml() snapshotXML {
	x := snapshotXML{
		SnapshotID: sn.ID, VolumeID: sn.VolumeID, Status: "completed", StartTime: query.Time(sn.StartTime),
		Progress: "100%", OwnerID: sn.OwnerID, Description: sn.Description, VolumeSize: sn.VolumeSize,
		StorageTier: "standard", Encrypted: sn.Encrypted, KmsKeyID: sn.KmsKeyID,
	}
	if amazonOwners[sn.OwnerID] {
		x.OwnerAlias = "amazon"
	}
	if len(sn.Tags) > 0 {
		t := tagSet(sn.Tags)
		x.Tags = &t
	}
	return x
}

func (sn *snapshot) field(name string) []string {
	switch name {
	case "snapshot-id":
		return []string{sn.ID}
	case "owner-id":
		return []string{sn.OwnerID}
	case "owner-alias":
		if amazonOwners[sn.OwnerID] {
			return []string{"amazon"}
		}
	case "status":
		return []string{"completed"}
	case "volume-id":
		return []string{sn.VolumeID}
	case "volume-size":
		return []string{strconv.Itoa(int(sn.VolumeSize))}
	case "description":
		return []string{sn.Description}
	case "progress":
		return []string{"100%"}
	case "encrypted":
		return []string{strconv.FormatBool(sn.Encrypted)}
	case "start-time":
		return []string{query.Time(sn.StartTime)}
	case "storage-tier":
		return []string{"standard"}
	}
	return nil
}

var snapshotFilters = knownSet("snapshot-id", "owner-id", "owner-alias", "status", "volume-id", "volume-size",
	"description", "progress", "encrypted", "start-time", "storage-tier")

// snapshotInUse returns the id of a registered image that uses the snapshot, or "".
func snapshotInUse(rs *regionState, snapID string) string {
	for _, id := range slices.Sorted(maps.Keys(rs.images)) {
		for _, bd := range rs.images[id].BlockDevices {
			if bd.SnapshotID == snapID {
				return id
			}
		}
	}
	return ""
}

func (s *Service) describeSnapshots(c *call) (any, *apiError) {
	ids := c.v.List("SnapshotId")
	owners := c.v.List("Owner")
	if len(ids) > 0 && c.v.Has("MaxResults") {
		return nil, errf("InvalidParameterCombination", "The parameter snapshotSet cannot be used with the parameter maxResults")
	}
	for _, id := range ids {
		if !snapIDPattern.MatchString(id) {
			return nil, errf("InvalidSnapshotID.Malformed", "Invalid id: \"%s\" (expecting \"snap-...\")", id)
		}
	}
	fs, aerr := parseFilters(c.v, snapshotFilters)
	if aerr != nil {
		return nil, aerr
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if sn := c.rs.snapshots[id]; sn == nil || sn.OwnerID != c.account {
			return nil, errf("InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.", id)
		}
	}
	var match []string
	for _, id := range slices.Sorted(maps.Keys(c.rs.snapshots)) {
		sn := c.rs.snapshots[id]
		// Only the caller's own snapshots are visible: awsemu has no public or shared snapshots.
		if sn.OwnerID != c.account {
			continue
		}
		if len(ids) > 0 && !containsStr(ids, id) {
			continue
		}
		if len(owners) > 0 && !ownerMatches(owners, sn.OwnerID, c.account) {
			continue
		}
		if !matchFilters(fs, sn.Tags, sn.field) {
			continue
		}
		match = append(match, id)
	}
	pageIDs, next, aerr := page(c, match, 5, 1000, 0)
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		Snapshots query.Items[snapshotXML] `xml:"snapshotSet"`
		NextToken string                   `xml:"nextToken,omitempty"`
	}{Snapshots: query.Items[snapshotXML]{Items: []snapshotXML{}}, NextToken: next}
	for _, id := range pageIDs {
		out.Snapshots.Items = append(out.Snapshots.Items, c.rs.snapshots[id].xml())
	}
	return out, nil
}

func (s *Service) deleteSnapshot(c *call) (any, *apiError) {
	id := c.v.Get("SnapshotId")
	if id == "" {
		return nil, errf("MissingParameter", "The request must contain the parameter snapshotId")
	}
	if !snapIDPattern.MatchString(id) {
		return nil, errf("InvalidSnapshotID.Malformed", "Invalid id: \"%s\" (expecting \"snap-...\")", id)
	}
	sn := c.rs.snapshots[id]
	if sn == nil || sn.OwnerID != c.account {
		return nil, errf("InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.", id)
	}
	if aerr := s.authorizeCaller(c, "ec2:DeleteSnapshot", id, sn.Tags, nil); aerr != nil {
		return nil, aerr
	}
	if img := snapshotInUse(c.rs, id); img != "" {
		return nil, errf("InvalidSnapshot.InUse", "The snapshot %s is currently in use by %s", id, img)
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	delete(c.rs.snapshots, id)
	return returnTrue{true}, nil
}

// createSnapshot snapshots a volume attached to one of the caller's instances.
func (s *Service) createSnapshot(c *call) (any, *apiError) {
	volID := c.v.Get("VolumeId")
	if volID == "" {
		return nil, errf("MissingParameter", "The request must contain the parameter volumeId")
	}
	var found *instance
	var vol volume
	for _, id := range slices.Sorted(maps.Keys(c.rs.instances)) {
		in := c.rs.instances[id]
		for _, v := range in.Volumes {
			if v.ID == volID && in.State != "terminated" {
				found, vol = in, v
			}
		}
	}
	if found == nil {
		if !strings.HasPrefix(volID, "vol-") {
			return nil, errf("InvalidParameterValue", "Value (%s) for parameter volumeId is invalid. Expected: 'vol-...'.", volID)
		}
		return nil, errf("InvalidVolume.NotFound", "The volume '%s' does not exist.", volID)
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	sn := &snapshot{ID: newID("snap"), VolumeID: vol.ID, OwnerID: c.account, Description: c.v.Get("Description"),
		VolumeSize: vol.Size, StartTime: c.now, Platform: found.Platform, Tags: copyTags(tagSpecs(c.v, "TagSpecification")["snapshot"])}
	c.rs.snapshots[sn.ID] = sn
	return sn.xml(), nil
}
