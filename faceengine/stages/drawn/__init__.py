"""Drawn art (ACG templates): the person drawn in the style of a drawn face marked by a box and 5 points,
carrying the person's measurable traits so they stay recognisable and the drawing stays the drawing.

dlib finds no anime faces and drawn faces have no 68 landmarks, so an admin marks a box and the five
key points. Then:
- the person's traits are read from their photo (`person_traits`, traits.py): the shape of their face and
  features as ratios of the 68 landmarks (jaw to cheek width, chin length, eye spacing, width, openness
  and tilt, brows, nose length, mouth width), their skin's lightness, their brows' thickness and darkness,
  glasses and facial hair; each shape trait is carried as how far it lies from the average face's, a
  little exaggerated (as a caricature carries a likeness);
- the drawing is measured: its face's region from its own flat skin colour, without the hair
  (region.py), its skin palette, shadows and ink (palette.py), its eyes and their highlights (eyes.py);
- the drawn face's own outline takes the person's face shape: its jaw and chin are bent wider or
  narrower, longer or shorter (`reshape_face`, reshape.py);
- the photo's face is fitted to the drawn face, straightened when turned differently, and its features
  moved whole to where the drawing has them, moved again by the person's own proportions (eye spacing,
  nose length, mouth width: `layout_for`, pose.py);
- its skin becomes the drawing's flat tones moved to the person's skin tone (a dark-skinned person stays
  darker in the drawing, in a warmer brown; the drawing's skin around the face follows), soft cel
  shading from the photo's own shading, its mouth kept in the drawn colours (palette.py);
- the eyes are the drawing's own, lifted off it whole and put back re-proportioned to the person's:
  wider or narrower, tilted, a narrower eye's upper lid brought down over the iris (`place_eyes`,
  eyes.py); never a photo's eye or a generic oval; the drawn highlights go back crisp on top;
- the person's brows are drawn at their measured thickness and darkness (brows.py), nose and mouth
  as ink lines of the drawing's colour and weight (ink.py), glasses as ink frames and facial hair as a
  flat tone (accessories.py);
- what the photo cannot cover of the drawn face is painted in the person's flat tones, so no drawn eye
  or mouth peeks out beside theirs (swap.py).

The modules depend on each other in one direction: traits, region → palette → ink → eyes → brows,
accessories, pose, reshape → swap. The tuning constants live in the module that reads them: patch them
there. testing/drawn_likeness measures which person each result picks.
"""

from __future__ import annotations

from .brows import drawn_brows
from .eyes import EyeShape, eye_highlights
from .ink import ink_layer, ink_lines
from .palette import cel_shade, drawn_ink, drawn_palette, feature_masks
from .pose import drawn_turn, photo_turn
from .region import drawn_face_region
from .reshape import reshape_face
from .swap import swap_face_acg
from .traits import PersonTraits, landmark_traits, person_traits

__all__ = [
    "EyeShape",
    "PersonTraits",
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
    "landmark_traits",
    "person_traits",
    "photo_turn",
    "reshape_face",
    "swap_face_acg",
]
