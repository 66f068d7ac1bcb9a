//! Build files several test modules write: the same YAML, spelled once.

/// A custom build on a VM, with nothing optional.
pub const WORKER: &str = "\
name: shop-worker
project_key: shop
infrastructure: vm
build_os: ubuntu 22.04
script_type: shell
build_script: make worker
";

/// A custom build whose script is in `scripts/worker.sh` beside its file.
pub const SCRIPTED_WORKER: &str = "\
name: shop-worker
project_key: shop
infrastructure: vm
build_os: ubuntu 22.04
script_type: shell
build_script_file: scripts/worker.sh
";

/// `shop-api` as a template build (`java-template`, one target service with one input).
pub const TEMPLATED_API: &str = "\
name: shop-api
project_key: shop
template_name: java-template
target_services:
  - service_name: api
    service_module: api
    repo_info:
      - codehost_name: github
        repo_namespace: shop
        repo_name: api
        branch: main
    inputs:
      - key: JAVA_VERSION
        value: \"21\"
";
