"""Drawn art (ACG templates): a photographed face redrawn in the style of a drawn face marked by a box and 5 points.

dlib finds no anime faces and drawn faces have no 68 landmarks, so an admin marks a box and the five
key points. The photo's face is fitted to the drawn face and painted only where the drawn face is:
- the drawn face's region is found from its own flat skin colour (sampled on the cheeks), with the
  drawn eyes and mouth added (they must disappear wholly under the photo's, never peek out beside
  them) but never the hair: bangs, the face's drawn outline and everything outside stay as drawn
  (region.py);
- the drawing is measured first: its skin palette (`drawn_palette`: the base tone and the drawing's own
  shadow tone), its ink (`drawn_ink`: the colour and the stroke width of its outline) (palette.py) and the
  white highlights drawn in its eyes (`eye_highlights`, eyes.py);
- the photo's face is sized to the drawn face's width at the eyes and its depth from the eyes to the
  mouth (`fit_to_drawn`, region.py), so it fills the drawn face instead of sitting in it like a small
  cut-out;
- a photo turned differently from the drawn face is straightened (`straighten`: its landmarks made
  mirror-symmetric), and its features are moved whole, shapes kept, to where the drawing has its eyes,
  nose and mouth (`drawn_layout`: the drawing's proportions and pose, the person's features); the photo
  is bent there piecewise (align.piecewise_warp) (pose.py);
- its skin becomes the drawing's flat tones (soft cel shading between the base and the shadow tone, the
  shadow where the photo's face is in shade or the drawing had its own shadow), its mouth keeps its shape
  in the drawn colours (palette.py), its eyes are drawn as the drawing draws eyes (`anime_eyes`, eyes.py:
  the person's eye outline at the drawn eye's size, the person's openness a little exaggerated, white, an
  iris in the drawn irises' colour, a pupil, a bold upper lid), and its brows, nose, mouth and jaw are
  drawn over it as ink lines of the drawing's colour and weight (`ink_layer`, ink.py; the drawing's own
  brows kept where they show, brows.py); the drawn eye highlights go back on top, at the same place in the
  new eyes (eyes.py);
- what the photo cannot cover of the drawn face (its hair or background fall there) is painted in the
  drawn skin's base tone, so no drawn eye or mouth peeks out beside the photo's (swap.py).

The modules depend on each other in one direction: region → palette → ink → eyes → brows, pose (region
only) → swap. The tuning constants live in the module that reads them: patch them there.
"""

from __future__ import annotations

from .brows import drawn_brows
from .eyes import EyeShape, eye_highlights
from .ink import ink_layer, ink_lines
from .palette import cel_shade, drawn_ink, drawn_palette, feature_masks
from .pose import drawn_turn, photo_turn
from .region import drawn_face_region
from .swap import swap_face_acg

__all__ = [
    "EyeShape",
    "cel_shade",
    "drawn_brows",
    "drawn_face_region",
    "drawn_ink",
    "drawn_palette",
    "drawn_turn",
    "eye_highlights",
    "feature_masks",
    "ink_layer",
    "ink_lines",
    "photo_turn",
    "swap_face_acg",
]
