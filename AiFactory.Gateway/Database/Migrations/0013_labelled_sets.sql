-- A version's own labelled set (docs/optimization.md, "A model's own labelled set"): inputs and expected outputs its
-- validation scores it on, stored in the object store by content address (labelled-sets/<model>/<sha256>.json).
-- JSON {storage_key, sha256, size_bytes, metric, output, samples}; NULL when the version has none. A derived version
-- gets its parent's when it is made (RegistryStore.AddDerivedVersionAsync), so an optimization is scored on the same set.
ALTER TABLE model_versions ADD COLUMN labelled_set jsonb;
