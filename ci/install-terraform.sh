#!/bin/sh
# Installs terraform, at the version of the terraform jobs' image, from HashiCorp's Debian repository:
# the test job's Python image has none, and the plan checks of tests/infra need it.
set -eu

version=${TERRAFORM_VERSION:-1.11.4}
keyring=/usr/share/keyrings/hashicorp-archive-keyring.gpg
curl -fsSL https://apt.releases.hashicorp.com/gpg | gpg --dearmor --yes -o "$keyring"
. /etc/os-release
echo "deb [signed-by=$keyring] https://apt.releases.hashicorp.com $VERSION_CODENAME main" \
    > /etc/apt/sources.list.d/hashicorp.list
apt-get update -qq
apt-get install -y -qq "terraform=$version-*" > /dev/null
terraform version
