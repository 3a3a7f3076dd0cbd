// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <sys/un.h>

namespace dvs::rpc {

// The address of the unix socket at path, for connect() and bind(). Throws Error(InternalError)
// "Path P too long for unix socket" when it does not fit in sun_path, as libvirt's
// virNetSocketNewConnectUNIX and virNetSocketNewListenUNIX do.
sockaddr_un unixSocketAddress(const std::filesystem::path& path);

} // namespace dvs::rpc
