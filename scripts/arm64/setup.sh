# Sourced by build.sh and test.sh: apt helpers for Debian's arm64 multiarch packages.

# Adds the arm64 architecture to dpkg and refreshes the package lists when arm64 packages are unknown.
arm64_apt_ready() {
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "arm64: dpkg --add-architecture arm64"
    dpkg --add-architecture arm64
  fi
  if ! apt-cache show libc6:arm64 >/dev/null 2>&1; then
    echo "arm64: apt-get update"
    apt-get update -qq
  fi
}

# Installs the packages given (name or name:arm64) that are not installed yet.
arm64_install() {
  local need=() pkg
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
  [ ${#need[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "arm64: missing ${need[*]} (run as root, or install them with apt-get)" >&2
    return 1
  fi
  arm64_apt_ready
  echo "arm64: apt-get install ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}
