-- Versions made from another (DESIGN.md §8): an optimization, with bytes of its own, or a serving configuration
-- (the analyzer's recommendation, TensorRT), on its parent's bytes. Two versions of a model may now share bytes, but
-- never bytes and config both. (Uploads still refuse bytes the model already has: UploadService.)
ALTER TABLE model_versions DROP CONSTRAINT model_versions_model_sha256_key;
CREATE UNIQUE INDEX model_versions_artifact_config ON model_versions (model, sha256, md5(config::text));
