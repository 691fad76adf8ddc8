// Symbol visibility for types and functions that cross the plugin boundary.
#pragma once

#define ARALDO_EXPORT __attribute__((visibility("default")))
