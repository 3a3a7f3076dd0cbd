// SPDX-License-Identifier: LGPL-2.1-or-later
// The one main() of every Catch2 test executable. An executable whose tests called
// dvs::test::skip() and had no failure exits 77, which meson reports as SKIP.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "test_support.h"

int main(int argc, char* argv[])
{
    int rc = Catch::Session().run(argc, argv);
    if (rc == 0 && dvs::test::wasSkipped()) {
        return 77;
    }
    return rc;
}
