package images

import (
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// layersOf describes the chosen manifest's layers. The uncompressed size is exact for
// uncompressed media types and for layers whose diff id equals their digest (stored
// uncompressed); otherwise it is estimated from the compressed size.
func layersOf(ch *chosen) []Layer {
	out := make([]Layer, 0, len(ch.manifest.Layers))
	for i, d := range ch.manifest.Layers {
		l := Layer{Digest: d.Digest.String(), MediaType: string(d.MediaType), Size: d.Size, Foreign: !d.MediaType.IsDistributable()}
		if i < len(ch.config.RootFS.DiffIDs) {
			l.DiffID = ch.config.RootFS.DiffIDs[i].String()
		}
		if uncompressedMediaType(d.MediaType) || (l.DiffID != "" && l.DiffID == l.Digest) {
			l.UncompressedSize = d.Size
		} else {
			l.UncompressedSize = int64(float64(d.Size) * EstimatedExpansion)
			l.Estimated = true
		}
		out = append(out, l)
	}
	return out
}

func uncompressedMediaType(mt types.MediaType) bool {
	switch mt {
	case types.DockerUncompressedLayer, types.OCIUncompressedLayer, types.OCIUncompressedRestrictedLayer:
		return true
	}
	return false
}
