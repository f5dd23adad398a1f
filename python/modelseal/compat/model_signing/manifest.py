"""The manifest of a hashed model (model_signing.manifest.Manifest, in spirit): the model's
name, its serialization and one digest per resource (a file, or a shard "path:start:end")."""


class Manifest:
    """A model's ``model_name``, ``serialization_type`` (the OMS serialization, a dict:
    method, hash_type, allow_symlinks, shard_size, ignore_paths), ``resources`` (a dict of
    resource name to hex digest, in resource order) and ``digest`` (the root digest,
    "sha256:<hex>"). Two manifests are equal when their resources and digests are."""

    def __init__(self, model_name, serialization_type, resources, digest):
        self.model_name = model_name
        self.serialization_type = serialization_type
        self.resources = resources
        self.digest = digest

    def resource_descriptors(self):
        """(name, hex digest) pairs in resource order."""
        return list(self.resources.items())

    def __eq__(self, other):
        if not isinstance(other, Manifest):
            return NotImplemented
        return self.resources == other.resources and self.digest == other.digest

    def __hash__(self):
        return hash(self.digest)

    def __repr__(self):
        return "Manifest(%r, %d resources, %r)" % (self.model_name, len(self.resources),
                                                   self.digest)
