import PDFDocument from 'pdfkit';
import { formatInvoiceLine, formatMinorUnits, type Invoice } from '@cbp/contracts';

const date = (iso: string) =>
  new Date(iso).toLocaleDateString('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });

/** A party of the invoice: the seller (configuration, INVOICE_SELLER_*) or the customer. */
export interface InvoiceParty {
  name: string;
  /** Postal address, one entry per printed line. */
  addressLines: string[];
  taxId: string | null;
  /** The customer's billing email (organization profile), printed under the name. */
  email?: string | null;
}

/**
 * A one-document PDF of the invoice (PDFKit, built-in Helvetica: nothing is loaded from outside).
 * Lines read as on the portal's invoice page (`formatInvoiceLine` of the contracts), and the
 * amounts are the invoice's own: subtotal, total, amount paid and amount due as the API serves them.
 */
export function renderInvoicePdf(invoice: Invoice, parties: { seller: InvoiceParty; billedTo: InvoiceParty }): Promise<Buffer> {
  const { seller, billedTo } = parties;
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: { Title: `Invoice ${invoice.number}`, Author: seller.name, Subject: `Invoice for ${billedTo.name}` },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const money = (minor: number) => formatMinorUnits(minor, invoice.currency);

  const left = 50;
  const right = doc.page.width - 50;
  const half = (right - left) / 2;
  doc.font('Helvetica-Bold').fontSize(22).fillColor('#111827').text('Invoice', left, 50);
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

  // Seller (left) and customer (right), each with address and tax id when known.
  const partyTop = Math.max(doc.y, 110) + 16;
  const party = (label: string, p: InvoiceParty, x: number) => {
    doc.font('Helvetica-Bold').fontSize(10).fillColor('#111827').text(label, x, partyTop, { width: half - 10 });
    doc.font('Helvetica').fillColor('#374151').text(p.name, { width: half - 10 });
    if (p.email) doc.text(p.email, { width: half - 10 });
    for (const line of p.addressLines) doc.text(line, { width: half - 10 });
    if (p.taxId) doc.text(`Tax ID: ${p.taxId}`, { width: half - 10 });
    return doc.y;
  };
  const bottom = Math.max(party('From', seller, left), party('Billed to', billedTo, left + half));
  doc.fillColor('#111827').text(`Service period: ${date(invoice.periodStart)} – ${date(invoice.periodEnd)}`, left, bottom + 12);

  let y = doc.y + 20;
  const col = { description: left, quantity: 265, unitPrice: 355, amount: right - 80 };
  const width = { description: 205, quantity: 85, unitPrice: 115, amount: 80 };
  doc.font('Helvetica-Bold').fontSize(9);
  doc.text('Description', col.description, y, { width: width.description });
  doc.text('Quantity', col.quantity, y, { width: width.quantity, align: 'right' });
  doc.text('Unit price', col.unitPrice, y, { width: width.unitPrice, align: 'right' });
  doc.text('Amount', col.amount, y, { width: width.amount, align: 'right' });
  y += 14;
  doc.moveTo(left, y).lineTo(right, y).strokeColor('#d1d5db').stroke();
  y += 8;
  for (const line of invoice.lines) {
    const text = formatInvoiceLine(line, invoice.currency);
    const period = `${date(line.periodStart)} – ${date(line.periodEnd)}`;
    doc.font('Helvetica').fontSize(9);
    const height = Math.max(
      doc.heightOfString(text.description, { width: width.description }) + 11,
      doc.heightOfString(text.quantity, { width: width.quantity }),
      doc.heightOfString(text.unitPrice, { width: width.unitPrice }),
    );
    if (y + height > doc.page.height - 140) {
      doc.addPage();
      y = 50;
    }
    doc.fillColor('#111827').text(text.description, col.description, y, { width: width.description });
    doc.fontSize(8).fillColor('#6b7280').text(period, { width: width.description });
    doc.fontSize(9).fillColor('#111827');
    doc.text(text.quantity, col.quantity, y, { width: width.quantity, align: 'right' });
    doc.text(text.unitPrice, col.unitPrice, y, { width: width.unitPrice, align: 'right' });
    doc.text(text.amount, col.amount, y, { width: width.amount, align: 'right' });
    y += height + 8;
  }
  doc.moveTo(left, y).lineTo(right, y).strokeColor('#d1d5db').stroke();
  y += 10;
  const total = (label: string, value: number, bold = false) => {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(10);
    doc.text(label, col.unitPrice - 60, y, { width: width.unitPrice + 60, align: 'right' });
    doc.text(money(value), col.amount, y, { width: width.amount, align: 'right' });
    y += 16;
  };
  total('Subtotal', invoice.subtotal);
  total('Total', invoice.total);
  total('Amount paid', invoice.amountPaid);
  total('Amount due', invoice.amountDue, true);

  doc.font('Helvetica').fontSize(8).fillColor('#6b7280').text(`Amounts in ${invoice.currency.toUpperCase()}.`, left, doc.page.height - 80);
  doc.end();
  return done;
}
