import PDFDocument from 'pdfkit';
import type { Invoice } from '@cbp/contracts';

const money = (minor: number, currency: string) =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(minor / 100);
const date = (iso: string) =>
  new Date(iso).toLocaleDateString('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });

/** A one-document PDF of the invoice (PDFKit, built-in Helvetica: nothing is loaded from outside). */
export function renderInvoicePdf(invoice: Invoice, billedTo: string): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: { Title: `Invoice ${invoice.number}`, Author: 'CBP', Subject: `Invoice for ${billedTo}` },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const left = 50;
  const right = doc.page.width - 50;
  doc.font('Helvetica-Bold').fontSize(22).fillColor('#111827').text('Invoice', left, 50);
  doc.font('Helvetica').fontSize(10).fillColor('#4b5563').text('CBP · Customer Business Portal', left, 80);
  doc
    .font('Helvetica-Bold')
    .fontSize(11)
    .fillColor('#111827')
    .text(`No. ${invoice.number}`, left, 50, { width: right - left, align: 'right' })
    .font('Helvetica')
    .fontSize(10)
    .text(`Status: ${invoice.status.toUpperCase()}`, { width: right - left, align: 'right' })
    .text(`Issued: ${date(invoice.createdAt)}`, { width: right - left, align: 'right' });
  if (invoice.dueDate) doc.text(`Due: ${date(invoice.dueDate)}`, { width: right - left, align: 'right' });
  if (invoice.paidAt) doc.text(`Paid: ${date(invoice.paidAt)}`, { width: right - left, align: 'right' });

  doc.moveDown(2).font('Helvetica-Bold').text('Billed to', left).font('Helvetica').text(billedTo);
  doc.text(`Service period: ${date(invoice.periodStart)} – ${date(invoice.periodEnd)}`);

  let y = doc.y + 20;
  const columns = { description: left, quantity: 330, amount: right - 100 };
  doc.font('Helvetica-Bold').fontSize(10);
  doc.text('Description', columns.description, y);
  doc.text('Qty', columns.quantity, y, { width: 60, align: 'right' });
  doc.text('Amount', columns.amount, y, { width: 100, align: 'right' });
  y += 16;
  doc.moveTo(left, y).lineTo(right, y).strokeColor('#d1d5db').stroke();
  y += 8;
  doc.font('Helvetica');
  for (const line of invoice.lines) {
    const height = doc.heightOfString(line.description, { width: 270 });
    if (y + height > doc.page.height - 120) {
      doc.addPage();
      y = 50;
    }
    doc.text(line.description, columns.description, y, { width: 270 });
    doc.text(line.quantity.toLocaleString('en-US'), columns.quantity, y, { width: 60, align: 'right' });
    doc.text(money(line.amount, invoice.currency), columns.amount, y, { width: 100, align: 'right' });
    y += Math.max(height, 12) + 8;
  }
  doc.moveTo(left, y).lineTo(right, y).strokeColor('#d1d5db').stroke();
  y += 10;
  const total = (label: string, value: number, bold = false) => {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica');
    doc.text(label, columns.quantity - 120, y, { width: 180, align: 'right' });
    doc.text(money(value, invoice.currency), columns.amount, y, { width: 100, align: 'right' });
    y += 16;
  };
  total('Subtotal', invoice.subtotal);
  total('Amount paid', invoice.amountPaid);
  total('Amount due', invoice.amountDue - invoice.amountPaid > 0 ? invoice.amountDue - invoice.amountPaid : 0, true);

  doc.font('Helvetica').fontSize(8).fillColor('#6b7280').text('Amounts in ' + invoice.currency.toUpperCase() + '.', left, doc.page.height - 80);
  doc.end();
  return done;
}
