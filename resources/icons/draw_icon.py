"""Draw the mlpgui app icon with QPainter and save it as SVG and PNGs (run once; outputs are committed).

    QT_QPA_PLATFORM=offscreen python resources/icons/draw_icon.py

A two-layer network (inputs -> hidden -> output) on a rounded dark-blue
square, with a falling loss curve behind it: what the app does, in a glance.
"""

from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QImage, QLinearGradient, QPainter, QPainterPath, QPen
from PySide6.QtSvg import QSvgGenerator

HERE = Path(__file__).resolve().parent
SIZES = (16, 24, 32, 48, 64, 128, 256)


def paint(p: QPainter, s: float) -> None:
    """Paint the icon into a square of side s."""
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    u = s / 256.0
    background = QLinearGradient(0, 0, 0, s)
    background.setColorAt(0.0, QColor("#2b6cb0"))
    background.setColorAt(1.0, QColor("#163a63"))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(background))
    p.drawRoundedRect(QRectF(8 * u, 8 * u, 240 * u, 240 * u), 48 * u, 48 * u)

    loss = QPainterPath(QPointF(30 * u, 60 * u))
    loss.cubicTo(QPointF(70 * u, 200 * u), QPointF(120 * u, 212 * u), QPointF(226 * u, 214 * u))
    p.setPen(QPen(QColor(255, 190, 80, 150), 10 * u, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(loss)

    inputs = [QPointF(62 * u, y * u) for y in (70, 128, 186)]
    hidden = [QPointF(128 * u, y * u) for y in (56, 106, 150, 200)]
    output = QPointF(196 * u, 128 * u)
    p.setPen(QPen(QColor(255, 255, 255, 120), 5 * u))
    for a in inputs:
        for b in hidden:
            p.drawLine(a, b)
    for b in hidden:
        p.drawLine(b, output)
    p.setPen(QPen(QColor("#0f2a47"), 4 * u))
    p.setBrush(QColor("#e8f1fb"))
    for c in inputs + hidden:
        p.drawEllipse(c, 17 * u, 17 * u)
    p.setBrush(QColor("#ffb347"))
    p.drawEllipse(output, 24 * u, 24 * u)


def main() -> None:
    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 (QPainter on images needs it)
    generator = QSvgGenerator()
    generator.setFileName(str(HERE / "mlpgui.svg"))
    generator.setSize(QSize(256, 256))
    generator.setViewBox(QRectF(0, 0, 256, 256))
    generator.setTitle("mlpgui")
    generator.setDescription("mlpgui app icon: a two-layer network over a falling loss curve")
    painter = QPainter(generator)
    paint(painter, 256)
    painter.end()
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        paint(painter, size)
        painter.end()
        image.save(str(HERE / f"mlpgui-{size}.png"))


if __name__ == "__main__":
    main()
