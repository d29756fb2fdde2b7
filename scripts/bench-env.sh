# Sourced by the measuring scripts (perf-profile.sh, callgrind-per-request.sh, bench-peers.sh):
# the benchmark's administrator key, given to a server they start and to `palisade bench`, and
# the choice of caller. Not a secret: these keys exist only in throw-away data directories.
export PALISADE_ADMIN_ACCESS_KEY_ID=AKIDPALISADEBENCH001
export PALISADE_ADMIN_SECRET_ACCESS_KEY=palisade-bench-secret-access-key-000000
export PALISADE_MASTER_KEY=YmVuY2gtb25seS1rZXktbm90LWEtc2VjcmV0LTMyYiE= RUST_LOG=warn
export AWS_ACCESS_KEY_ID=$PALISADE_ADMIN_ACCESS_KEY_ID
export AWS_SECRET_ACCESS_KEY=$PALISADE_ADMIN_SECRET_ACCESS_KEY
unset AWS_SESSION_TOKEN

# With CALLER=conditional, creates (on the server at ENDPOINT) an IAM user whose only policy
# allows dynamodb:* under an aws:SourceIp condition, and appends its keys to the array `bench`
# (a `palisade bench` command line), so that the decision memo cannot answer from a
# condition-free policy (decisions 0016, 0018). Otherwise the bench signs as the administrator.
use_caller() {
    if [ "${CALLER:-admin}" = conditional ]; then
        local akid secret
        read -r akid secret < <(python3 "$(dirname "${BASH_SOURCE[0]}")/conditional-caller.py" "$1")
        bench+=(--access-key "$akid" --secret-key "$secret")
    fi
}
