// Symbol visibility for types and functions that cross the plugin boundary.
// libaraldo-sdk is built with hidden visibility: only what a header marks
// ARALDO_EXPORT is there for plugins (tests/sdk checks the list).
#pragma once

#define ARALDO_EXPORT __attribute__((visibility("default")))
// Inside an exported class: a private member that stays in the library.
#define ARALDO_HIDDEN __attribute__((visibility("hidden")))
