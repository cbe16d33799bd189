"""Paint one photo in several styles side by side (the README's first screen).

    brushwork sheet -o sheet.png [--photo PHOTO] [--styles a,b,c] [--size 256] [--steps 80]
                    [--set KEY=VALUE ...]

Columns: the photo, then one Gatys result per style. Without --photo a generated photo is used.
"""

from __future__ import annotations

from pathlib import Path

from brushwork.cli.main import parser

DEFAULT_STYLES = "starry_night,the_scream,candy"


def main(argv: list[str], prog: str = "brushwork sheet") -> int:
    p = parser(prog, __doc__)
    p.add_argument("-o", "--output", required=True, help="the sheet, .png or .jpg")
    p.add_argument("--photo", help="your photo (default: a generated one)")
    p.add_argument("--styles", default=DEFAULT_STYLES, help="comma-separated style names")
    p.add_argument("--size", type=int, default=256, help="longer side of each picture, px")
    p.add_argument("--steps", type=int, default=80, help="L-BFGS iterations at full size")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="gatys overrides")
    args = p.parse_args(argv)
    from brushwork.config import compose
    from brushwork.config.groups import check_choices
    from brushwork.gatys.paint import paint
    from brushwork.io.files import check_writable
    from brushwork.io.images import load_image, pil_to_tensor, resize, save_image
    from brushwork.io.sheets import contact_sheet
    from brushwork.io.synthetic import photo

    output = check_writable(args.output)
    styles = [s.strip() for s in args.styles.split(",") if s.strip()]
    check_choices([f"style={','.join(styles)}"])  # unknown names fail before any painting
    if args.photo:
        content = load_image(Path(args.photo), args.size)
    else:
        content = pil_to_tensor(photo("brushwork", args.size, args.size * 3 // 4))
    overrides = [
        "content=-",
        "output=-",
        f"gatys.size={args.size}",
        f"gatys.steps={args.steps}",
        *args.set,
    ]
    row = [resize(content, args.size)]
    for name in styles:
        cfg = compose("gatys", [f"style={name}", *overrides])
        print(f"painting {name} ...")
        row.append(paint(cfg, content))
    save_image(contact_sheet([row], height=row[0].shape[-2]), output)
    print(f"wrote {output} (photo | {' | '.join(styles)})")
    return 0
