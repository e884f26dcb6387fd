# SPDX-License-Identifier: GPL-2.0-or-later
{
  "targets": [
    {
      "target_name": "nftables",
      "sources": [
        "native/addon.cc",
        "native/convert.cc",
        "native/counters.cc",
        "native/expr-table.cc",
        "native/io-thread.cc",
        "native/monitor.cc",
        "native/encode.cc",
        "native/netlink.cc",
        "native/decode.cc",
        "native/packed.cc",
        "native/socket.cc",
        "native/workers.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y"],
      "cflags": ["-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter", "<!@(pkg-config --cflags libnftnl libmnl)"],
      "cflags_cc": ["-std=c++17", "-fvisibility=hidden", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["<!@(pkg-config --libs libnftnl libmnl)", "-lpthread"]
    }
  ]
}
