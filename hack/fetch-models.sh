#!/usr/bin/env bash
# Fetch biogate's models into a folder and verify them against the manifest.
#
# usage: hack/fetch-models.sh [--mirror DIR] [--out DIR]
#
#   --out DIR     where the models go. Default: the folder the daemon and the
#                 tests use (models.Dir): $BIOGATE_MODELS, else
#                 $BIOGATE_SHARED/models, else ../shared/models beside the
#                 repository root.
#   --mirror DIR  a folder laid out like the models folder to copy from.
#                 Default: $BIOGATE_SHARED/models (or ../shared/models beside
#                 the root) when it exists. Without a mirror copy, files are
#                 downloaded with curl from the manifest's upstream URL.
#
# The manifest is models/manifest.tsv (also embedded by the Go code). Every
# file is checked with sha256sum; files already correct are skipped, so the
# script is idempotent. A model marked as patched (its URL serves the
# unpatched original) can only come from a mirror. Exit status: 0 when every
# model is in place and verified, 1 otherwise, 2 on usage errors.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
manifest=$root/models/manifest.tsv

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

mirror= out=
while [[ $# -gt 0 ]]; do
	case $1 in
	--mirror) [[ $# -ge 2 ]] || usage; mirror=$2; shift 2 ;;
	--out) [[ $# -ge 2 ]] || usage; out=$2; shift 2 ;;
	-h | --help) usage ;;
	*) echo "fetch-models: unknown argument: $1" >&2; usage ;;
	esac
done

shared_models=${BIOGATE_SHARED:-$(dirname "$root")/shared}/models
if [[ -z $out ]]; then
	out=${BIOGATE_MODELS:-$shared_models}
fi
if [[ -z $mirror && -d $shared_models ]]; then
	mirror=$shared_models
fi
if [[ -n $mirror && ! -d $mirror ]]; then
	echo "fetch-models: mirror $mirror is not a folder" >&2
	exit 2
fi
command -v sha256sum >/dev/null || { echo "fetch-models: sha256sum not found (coreutils)" >&2; exit 1; }

tmp=
trap 'rm -f "${tmp:-}"' EXIT # a partial file never takes a model's name

# sha_of FILE: the file's sha256, or nothing if it does not exist.
sha_of() { [[ -f $1 ]] && sha256sum "$1" | cut -d' ' -f1 || true; }

failed=0
# The last line is read even without a trailing newline.
while IFS=$'\t' read -r name file sha size url licence input patch || [[ -n ${name:-} ]]; do
	[[ -z $name || $name == \#* ]] && continue
	dst=$out/$file
	if [[ $(sha_of "$dst") == "$sha" ]]; then
		echo "ok       $name ($file)"
		continue
	fi
	mkdir -p "$(dirname "$dst")"
	tmp=$(mktemp "$dst.part.XXXXXX")
	src=
	if [[ -n $mirror && -f $mirror/$file ]]; then
		src="mirror $mirror"
		cp "$mirror/$file" "$tmp"
	elif [[ -n $patch ]]; then
		rm -f "$tmp"
		echo "FAILED   $name: no mirror copy of $file, and $url is not it: $patch" >&2
		echo "         get the patched file from a mirror: --mirror DIR, or set BIOGATE_SHARED" >&2
		failed=1
		continue
	else
		src=$url
		if ! command -v curl >/dev/null; then
			echo "FAILED   $name: curl not found; install it or pass --mirror DIR" >&2
			failed=1
			continue
		fi
		if ! curl -fsSL --retry 3 -o "$tmp" "$url"; then
			rm -f "$tmp"
			echo "FAILED   $name: download from $url failed" >&2
			failed=1
			continue
		fi
	fi
	got=$(sha_of "$tmp")
	if [[ $got != "$sha" ]]; then
		rm -f "$tmp"
		echo "FAILED   $name: $file from $src has sha256 $got, want $sha ($size bytes); nothing written" >&2
		failed=1
		continue
	fi
	mv -f "$tmp" "$dst"
	echo "fetched  $name ($file, $licence) from $src"
done <"$manifest"

if [[ $failed -ne 0 ]]; then
	echo "fetch-models: some models are missing or wrong in $out (see above)" >&2
	exit 1
fi
echo "fetch-models: all models verified in $out"
