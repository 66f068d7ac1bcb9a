//! Every diagnostic at its own place: references inside block scalars and the second
//! reference of one string; and the words of a type error on a number that is not whole.

use super::diagnose;

#[test]
fn each_reference_is_reported_at_its_own_line_and_column() {
    let yaml = "\
name: api
project_key: shop
infrastructure: kubernetes
build_os: ubuntu 20.04
script_type: shell
build_script: |
  echo start
  echo ${env:FIRST_VAR} and ${env:SECOND_VAR}
parameters:
  - key: X
    type: string
    default_value: \"a-${env:THIRD} b-${env:bad name}\"
";
    insta::assert_snapshot!(diagnose(yaml), @r"
    b/a.yaml:8:8: warning[unresolved-reference]: environment variable `FIRST_VAR` is not set (`${env:FIRST_VAR}`); `validate` goes on, but plan and apply will need it
    b/a.yaml:8:29: warning[unresolved-reference]: environment variable `SECOND_VAR` is not set (`${env:SECOND_VAR}`); `validate` goes on, but plan and apply will need it
    b/a.yaml:12:23: warning[unresolved-reference]: environment variable `THIRD` is not set (`${env:THIRD}`); `validate` goes on, but plan and apply will need it
    b/a.yaml:12:38: error[invalid-reference]: `${env:bad name}` does not name an environment variable (letters, digits and `_`)
    ");
}

#[test]
fn a_number_that_is_not_whole_is_called_so() {
    let yaml = "\
name: api
project_key: shop
infrastructure: kubernetes
build_os: ubuntu 20.04
script_type: shell
advanced_settings:
  cluster_name: local
  timeout: 1.5
";
    insta::assert_snapshot!(diagnose(yaml), @"b/a.yaml:8:12: error[invalid-type]: `advanced_settings.timeout`: `1.5` is not a whole number");
}
