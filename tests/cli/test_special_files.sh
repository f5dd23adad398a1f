#!/bin/sh
# Something other than a regular file where modelseal expects one of its inputs (signature,
# bundle, dataset manifest and its signature, claims, policy, keys, certificates, trusted root,
# signing configuration, password file): a FIFO, a directory, or a symbolic link to /dev/zero.
# Each is refused with exit 2 naming the path, at once, never waited on or read forever.
# (FIFOs and devices among a model's own files: test_bad_input.sh.)
. "$(dirname "$0")/lib.sh"
set -e

# special DESCRIPTION PATH CMD...: with a FIFO, a directory and a symbolic link to /dev/zero in
# turn at PATH, CMD must end within 10 s (timeout's 124 otherwise) with exit 2 and name PATH.
special() {
    local desc=$1 path=$2 kind
    shift 2
    for kind in FIFO directory /dev/zero; do
        rm -rf "$path"
        case $kind in
        FIFO) mkfifo "$path" ;;
        directory) mkdir "$path" ;;
        *) ln -s /dev/zero "$path" ;;
        esac
        check_fails "$desc: $kind" 2 "$path" timeout 10 "$MODELSEAL" "$@"
    done
    rm -rf "$path"
}

ms keygen --no-password --output "$T/k" >/dev/null
printf 'correct horse\n' >"$T/pw"
ms keygen --password-file "$T/pw" --output "$T/kp" >/dev/null
M=$T/model
mkdir -p "$M" "$T/data"
printf 'weights' >"$M/w"
printf 'row' >"$T/data/r"
ms sign --key "$T/k.key" "$M" >/dev/null
cp "$M/model.sig" "$T/good.sig"
D=$T/d.dsm.jsonl.zst
ms dataset manifest --name d --output "$D" "$T/data" >/dev/null
ms dataset sign --key "$T/k.key" "$D" >/dev/null
cp "$D.sig" "$T/good.dsm.sig"
cp "$D" "$T/good.dsm"
X=$T/x # the stand-in for an input named on the command line

# --- signatures and bundles ---------------------------------------------------------------------
special "model.sig" "$M/model.sig" verify --key "$T/k.pub" "$M"
special "model.sig, sbom" "$M/model.sig" sbom --format cyclonedx --key "$T/k.pub" "$M"
cp "$T/good.sig" "$M/model.sig"
special "--signature" "$X" verify --key "$T/k.pub" --signature "$X" "$M"
special "inspect" "$X" inspect "$X"
special "blob verify --bundle" "$X" blob verify --bundle "$X" --key "$T/k.pub" "$M/w"
special "blob sign ARTIFACT" "$X" blob sign --key "$T/k.key" --bundle "$T/blob.sig" "$X"
special "blob sign --in-toto" "$X" blob sign --key "$T/k.key" --bundle "$T/blob.sig" --in-toto "$X"

# --- claims: inside the model (never skipped unseen) and named ----------------------------------
special "claims.jsonl in the model" "$M/claims.jsonl" verify --key "$T/k.pub" "$M"
special "claims.jsonl, sign" "$M/claims.jsonl" sign --key "$T/k.key" --signature "$T/o.sig" "$M"
special "--claims" "$X" sbom --format cyclonedx --key "$T/k.pub" --claims "$X" "$M"
special "attest list --claims" "$X" attest list --claims "$X" "$M"

# --- dataset manifests and their signatures -----------------------------------------------------
special "dataset manifest" "$X" dataset verify "$X" "$T/data"
special "dataset manifest, --key" "$X" dataset verify --key "$T/k.pub" --signature "$T/good.dsm.sig" "$X"
special "dataset manifest, sign" "$X" dataset sign --key "$T/k.key" --signature "$T/o.sig" "$X"
special "dataset MANIFEST.sig" "$D.sig" dataset verify --key "$T/k.pub" "$D"
special "dataset MANIFEST.sig, with DIR" "$D.sig" dataset verify --key "$T/k.pub" "$D" "$T/data"
cp "$T/good.dsm.sig" "$D.sig"

# --- policies, keys, certificates, Sigstore files, passwords ------------------------------------
special "--policy" "$X" verify --policy "$X" "$M"
special "--key PUB" "$X" verify --key "$X" "$M"
special "dataset verify --key PUB" "$X" dataset verify --key "$X" "$D"
special "sbom --key PUB" "$X" sbom --format cyclonedx --key "$X" "$M"
special "--key KEY (sign)" "$X" sign --key "$X" --signature "$T/o.sig" "$M"
special "--key KEY (dataset sign)" "$X" dataset sign --key "$X" --signature "$T/o.sig" "$D"
special "--password-file" "$X" sign --key "$T/kp.key" --password-file "$X" --signature "$T/o.sig" "$M"
special "--certificate" "$X" sign --key "$T/k.key" --certificate "$X" --signature "$T/o.sig" "$M"
mkdir "$T/pki"
$PY "$SRCDIR/tests/cli/make_certs.py" "$T/pki"
special "--certificate-chain (sign)" "$X" sign --key "$T/pki/leaf.key" --certificate "$T/pki/leaf.pem" --certificate-chain "$X" --signature "$T/o.sig" "$M"
special "--certificate-chain (verify)" "$X" verify --certificate-chain "$X" "$M"
special "--trusted-root" "$X" verify --key "$T/k.pub" --trusted-root "$X" "$M"
special "--signing-config" "$X" sign --sigstore --identity-token not.a.token --signing-config "$X" --signature "$T/o.sig" "$M"
special "keygen --force, the old public key" "$T/old.pub" keygen --no-password --force --output "$T/old"

# The explicit --signature may be a link to a regular file; model.sig inside the model may not.
ln -s "$T/good.sig" "$T/link.sig"
check_status "--signature through a symbolic link" 0 ms verify --key "$T/k.pub" --signature "$T/link.sig" "$M"
rm "$M/model.sig"
ln -s "$T/good.sig" "$M/model.sig"
check_fails "model.sig as a symbolic link" 2 "$M/model.sig: is a symbolic link" ms verify --key "$T/k.pub" "$M"
rm "$M/model.sig"
cp "$T/good.sig" "$M/model.sig"
check_status "restored: verify" 0 ms verify --key "$T/k.pub" "$M"
check_status "restored: dataset verify" 0 ms dataset verify --key "$T/k.pub" "$D" "$T/data"

finish
