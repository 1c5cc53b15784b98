package images

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// CoverageStatus says how much of an image a node's AMI already holds.
type CoverageStatus string

// Coverage statuses.
const (
	// CoverageCached: the AMI caches this reference (same name, or same digest).
	CoverageCached CoverageStatus = "cached"
	// CoveragePartly: not cached, but some of its layers are (a shared base).
	CoveragePartly CoverageStatus = "partly-cached"
	// CoverageNotCached: none of its layers is cached.
	CoverageNotCached CoverageStatus = "not-cached"
	// CoverageIncompatible: it has no entry for the node's Windows build; no pod of it
	// starts on this AMI, cached or not.
	CoverageIncompatible CoverageStatus = "incompatible"
	// CoverageUnknown: its registry could not be read (or the AMI's cache is unknown and
	// it could not be sized).
	CoverageUnknown CoverageStatus = "unknown"
)

// Coverage is the cache coverage of one AMI: for each image the cluster's Windows pods
// and workloads run, whether the AMI caches it and, when not, the compressed bytes a new
// node launched from it must pull before that pod starts.
type Coverage struct {
	// ImageID and Region name the AMI; Nodes is how many Windows nodes run it.
	ImageID string `json:"imageId"`
	Region  string `json:"region"`
	Nodes   int    `json:"nodes"`
	// Windows is the Windows build the images were read for (the nodes' build).
	Windows string `json:"windows"`
	// CacheKnown is set when the AMI records what it caches (the winami:cached-images
	// tags of a winami build); otherwise nothing is taken as cached.
	CacheKnown bool `json:"cacheKnown"`
	// Cached are the references the AMI caches, as recorded.
	Cached []string `json:"cached"`
	// Images are the images the Windows pods and workloads use, by name.
	Images []ImageCoverage `json:"images"`
	// PullBytes is what a new node must pull before every pod can start: the compressed
	// size of the distinct layers of the used images that the AMI does not hold (0: every
	// pod starts from the cache). Unknown images are not in it (see Unknown).
	PullBytes int64 `json:"pullBytes"`
	// Covered counts the images a new node starts without pulling a layer; Unknown the
	// images that could not be read.
	Covered int `json:"covered"`
	Unknown int `json:"unknown"`
	// Add are the references to add to spec.cache.images (pinned to digests where known)
	// to bring PullBytes to 0.
	Add []string `json:"add"`
	// Note says what the figures rest on.
	Note string `json:"note,omitempty"`
}

// ImageCoverage is one used image on one AMI.
type ImageCoverage struct {
	// Image is the reference as written in the pod spec; Pods counts the live pods.
	Image  string         `json:"image"`
	Pods   int            `json:"pods"`
	Status CoverageStatus `json:"status"`
	// Layers and CachedLayers count the layers of the entry for the node's build and
	// those the AMI holds (in any cached image: shared base layers count as cached).
	Layers       int `json:"layers"`
	CachedLayers int `json:"cachedLayers"`
	// CompressedBytes is the image's compressed size; PullBytes the part a new node
	// must pull.
	CompressedBytes int64 `json:"compressedBytes"`
	PullBytes       int64 `json:"pullBytes"`
	// Message says why an image is incompatible or unknown.
	Message string `json:"message,omitempty"`
}

// CacheCoverage reads from their registries, for the Windows build windows, the images
// used (from [Discover]) and the images an AMI caches (cached, as recorded on the AMI;
// cacheKnown false when it records nothing), and says for each used image whether the
// AMI caches it and what a new node must pull before its pod starts.
//
// An image is cached when the AMI caches the same name (the cache component tags each
// image with its reference) or the same digest: kubelet asks the runtime for the pod's
// image by name and, with IfNotPresent, pulls only when it is absent
// (kubernetes/kubernetes pkg/kubelet/images/image_manager.go, EnsureImageExists and
// shouldPullImage, commit cfce511e). Otherwise a node pulls the layers of the entry for
// its build that no cached image holds: containerd's fetch handler skips a blob its
// content store already has (containerd/containerd core/remotes/handlers.go,
// FetchHandler: content.OpenWriter → errdefs.IsAlreadyExists → nothing fetched, commit
// b76236bb; remotes/handlers.go fetch() in 1.x), so shared base layers count as cached.
// Under Always (or a :latest tag) kubelet pulls anyway, and the same rule makes the
// layers already held free. A cached reference recorded with a digest
// ("repo:tag@sha256:…") is read at that digest, so a tag moved since the build does not
// change the answer.
func CacheCoverage(ctx context.Context, used []UsedImage, cached []string, cacheKnown bool, windows string, opts Options) (*Coverage, error) {
	target, err := Target(windows)
	if err != nil {
		return nil, err
	}
	cov := &Coverage{Windows: target.Build, CacheKnown: cacheKnown, Cached: append([]string{}, cached...), Images: []ImageCoverage{}, Add: []string{}}
	if !cacheKnown {
		cov.Note = "the AMI does not record what it caches (not built by winami, or built before winami recorded it): nothing is taken as cached"
	}
	// One registry pass for the cached images (at their recorded digests) and the used ones.
	var refs []string
	index := map[string]int{}
	add := func(r string) {
		if _, ok := index[r]; !ok {
			index[r] = len(refs)
			refs = append(refs, r)
		}
	}
	cachedNames, cachedDigests := map[string]bool{}, map[string]bool{}
	for _, r := range cached {
		n, d := splitRef(r)
		if n != "" {
			cachedNames[n] = true
		}
		if d != "" {
			cachedDigests[d] = true
		}
		if readable(readAt(r)) {
			add(readAt(r))
		}
	}
	for _, u := range used {
		if readable(u.Image) {
			add(u.Image)
		}
	}
	var rep *Report
	if len(refs) > 0 {
		if rep, err = Check(ctx, refs, target.Build, opts); err != nil {
			return nil, fmt.Errorf("reading images for cache coverage: %w", err)
		}
	} else {
		rep = &Report{}
	}
	held := map[string]bool{}
	for _, r := range cached {
		i, ok := index[readAt(r)]
		if !ok {
			continue
		}
		im := rep.Images[i]
		if im.Digest != "" {
			cachedDigests[im.Digest] = true
		}
		if im.ManifestDigest != "" {
			cachedDigests[im.ManifestDigest] = true
		}
		for _, l := range im.Layers {
			held[l.Digest] = true
		}
	}

	pulled := map[string]bool{}
	for _, u := range used {
		ic := ImageCoverage{Image: u.Image, Pods: u.Pods}
		n, d := splitRef(u.Image)
		byName := n != "" && cachedNames[n] && d == ""
		byDigest := d != "" && cachedDigests[d] || u.Digest != "" && cachedDigests[u.Digest]
		i, ok := index[u.Image]
		var im Image
		if ok {
			im = rep.Images[i]
			byDigest = byDigest || im.Digest != "" && cachedDigests[im.Digest]
		}
		switch {
		case byName || byDigest:
			// kubelet finds it in the node's image store: nothing to pull.
			ic.Status = CoverageCached
			if ok && im.Status == StatusCompatible {
				ic.Layers, ic.CachedLayers, ic.CompressedBytes = len(im.Layers), len(im.Layers), im.CompressedBytes
			}
		case !ok:
			ic.Status, ic.Message = CoverageUnknown, "not a valid image reference"
		case im.Status == StatusIncompatible:
			ic.Status, ic.Message = CoverageIncompatible, im.Message
		case im.Status != StatusCompatible:
			ic.Status, ic.Message = CoverageUnknown, im.Message
		default:
			ic.Layers, ic.CompressedBytes = len(im.Layers), im.CompressedBytes
			for _, l := range im.Layers {
				if held[l.Digest] {
					ic.CachedLayers++
					continue
				}
				ic.PullBytes += l.Size
				if !pulled[l.Digest] {
					pulled[l.Digest] = true
					cov.PullBytes += l.Size
				}
			}
			switch {
			case ic.PullBytes == 0:
				ic.Status = CoverageCached // every layer is held by a cached image
			case ic.CachedLayers > 0:
				ic.Status = CoveragePartly
			default:
				ic.Status = CoverageNotCached
			}
		}
		switch ic.Status {
		case CoverageUnknown:
			cov.Unknown++
		case CoverageCached:
			cov.Covered++
		}
		if ic.Status == CoveragePartly || ic.Status == CoverageNotCached || ic.Status == CoverageUnknown && ok {
			if u.Pinned != "" {
				cov.Add = append(cov.Add, u.Pinned)
			} else {
				cov.Add = append(cov.Add, u.Image)
			}
		}
		cov.Images = append(cov.Images, ic)
	}
	return cov, nil
}

// readAt is the reference to read a cached image at: its repository at the recorded
// digest when there is one ("repo:tag@sha256:…" → "repo@sha256:…").
func readAt(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		return pin(ref[:i], ref[i+1:])
	}
	return ref
}

// splitRef returns the normalized name (registry/repository:tag) of a reference, "" when
// it names a digest only, and its digest, "" when it has none.
func splitRef(ref string) (string, string) {
	base, digest := ref, ""
	if i := strings.Index(ref, "@"); i >= 0 {
		base, digest = ref[:i], ref[i+1:]
	}
	if digest != "" && !strings.Contains(base[strings.LastIndex(base, "/")+1:], ":") {
		base = "" // repo@digest: no tag to find it by
	}
	if base == "" {
		return "", digest
	}
	t, err := name.NewTag(base)
	if err != nil {
		return "", digest
	}
	return t.Name(), digest
}

func readable(ref string) bool {
	_, err := ParseRefs([]string{ref})
	return err == nil
}
