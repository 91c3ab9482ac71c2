/* colour.h — the grammar's colour words as HSV ranges, and colour arithmetic. */
#ifndef CS_COLOUR_H
#define CS_COLOUR_H

#include "rng.h"

typedef enum {
    CS_RED, CS_GREEN, CS_BLUE, CS_YELLOW, CS_PURPLE, CS_ORANGE, CS_WHITE, CS_CYAN,
    CS_COLOUR_COUNT
} cs_colour;

/* "red", "green", ... indexed by cs_colour. */
extern const char *const cs_colour_names[CS_COLOUR_COUNT];

/* RGB in 0..1 of hue h (degrees, any value), saturation s and value v (0..1). */
void cs_hsv_to_rgb(double rgb[3], double h, double s, double v);

/* A fill for colour word c: a random shade inside the word's HSV range, mostly near its
 * middle (red hue 350–10, ..., white s <= 0.06 and v >= 0.92). */
void cs_colour_shade(double rgb[3], cs_colour c, cs_rng *r);

/* Euclidean distance of two 0..1 RGB colours, in 0..255 units (the visibility rule). */
double cs_rgb_distance(const double a[3], const double b[3]);

#endif
