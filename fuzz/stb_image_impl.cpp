// stb_image's implementation, compiled into the image fuzz target with the sanitizers and
// coverage, so that the decoder nnzero hands every image to is fuzzed too (the product links
// Debian's libstb, built from the same header).
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>
