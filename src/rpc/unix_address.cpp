// SPDX-License-Identifier: LGPL-2.1-or-later
#include "rpc/unix_address.h"

#include <cstring>
#include <sys/socket.h>

#include <fmt/format.h>

#include "util/error.h"

namespace dvs::rpc {

sockaddr_un unixSocketAddress(const std::filesystem::path& path)
{
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.native().size() >= sizeof addr.sun_path) {
        throw Error(ErrorCode::InternalError,
                    fmt::format("Path {} too long for unix socket", path.native()));
    }
    std::memcpy(addr.sun_path, path.c_str(), path.native().size() + 1);
    return addr;
}

} // namespace dvs::rpc
